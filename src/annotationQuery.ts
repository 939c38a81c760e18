// A saved annotation query and how it reads: what the data source (annotations.ts)
// and the annotation editor both need, apart from either, so neither imports
// the other at run time.
import { AnnotationQuery } from '@grafana/data';

import { QUERY_TYPE_ANNOTATIONS } from './names';
import { Query } from './types';

/** The refId Grafana gives annotation queries. */
const ANNOTATION_REF_ID = 'Anno';

/** What only the metric way uses. */
export const METRIC_FIELDS = ['target', 'payload', 'alias', 'legendFormat', 'format', 'type'] as const;

export const isAnnotationQuery = (q: Pick<Query, 'queryType'>) => q.queryType === QUERY_TYPE_ANNOTATIONS;

/**
 * Which way an annotation asks the service, decided as the backend decides
 * it (models.ParseAnnotationQuery): a metric whose answer is a table of
 * events, through /query (ours, the JSON datasource's); or query text
 * alone, through /annotations (SimpleJSON's).
 */
export type AnnotationSource = 'metric' | 'text';

export function annotationSource(q: Pick<Query, 'target' | 'query'>): AnnotationSource {
  const hasMetric = typeof q.target === 'string' && q.target.trim() !== '';
  return !hasMetric && typeof q.query === 'string' ? 'text' : 'metric';
}

/**
 * A SimpleJSON annotation was saved as {query, name, enable, iconColor},
 * with the query text beside the annotation's settings; the editor edits
 * `target`, so the text moves there. Anything else is returned as it is:
 * Grafana saves the annotation again only when this returns another object.
 */
export function prepareAnnotation(json: AnnotationQuery<Query>): AnnotationQuery<Query> {
  if (json.target || typeof json.query !== 'string') {
    return json;
  }
  const { query, ...rest } = json;
  return { ...rest, target: { refId: ANNOTATION_REF_ID, queryType: QUERY_TYPE_ANNOTATIONS, query } };
}

/**
 * The query Grafana runs through query(). A SimpleJSON annotation's text
 * travels with the annotation's own name, enable and iconColor, which the
 * service gets in /annotations' `annotation`. An annotation with neither a
 * metric nor text is skipped, as Grafana skips an undefined query.
 */
export function prepareQuery(anno: AnnotationQuery<Query>): Query | undefined {
  const target = anno.target;
  if (!target) {
    return undefined;
  }
  const refId = target.refId || ANNOTATION_REF_ID;
  if (annotationSource(target) === 'text') {
    const text: Query = { ...target, refId, queryType: QUERY_TYPE_ANNOTATIONS, name: anno.name, enable: anno.enable, iconColor: anno.iconColor };
    // Metric-only fields would make the backend take the /query way.
    for (const key of METRIC_FIELDS) {
      delete text[key];
    }
    return text;
  }
  if (typeof target.target !== 'string' || target.target.trim() === '') {
    return undefined;
  }
  return { ...target, refId, queryType: QUERY_TYPE_ANNOTATIONS };
}
