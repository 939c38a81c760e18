import { AnnotationSupport } from '@grafana/data';

import { prepareAnnotation, prepareQuery } from './annotationQuery';
import { AnnotationQueryEditor } from './components/AnnotationQueryEditor';
import { QUERY_TYPE_ANNOTATIONS } from './names';
import { Query } from './types';

/**
 * Annotation support. The backend answers one frame of time, timeEnd,
 * title, text and tags, the field names Grafana's standard event
 * processing looks for, so processEvents stays Grafana's own (and so does
 * its field mapping, for services that name their columns otherwise).
 */
export function annotationSupport(): AnnotationSupport<Query> {
  return {
    QueryEditor: AnnotationQueryEditor,
    getDefaultQuery: () => ({ queryType: QUERY_TYPE_ANNOTATIONS }),
    prepareAnnotation,
    prepareQuery,
  };
}
