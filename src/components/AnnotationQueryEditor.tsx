import { AnnotationQuery, QueryEditorProps, SelectableValue } from '@grafana/data';
import { RadioButtonGroup, Text } from '@grafana/ui';

import { EditorField, EditorRow, EditorRows } from './EditorLayout';
import { annotationSource, AnnotationSource, METRIC_FIELDS } from '../annotationQuery';
import type { DataSource } from '../datasource';
import { QUERY_TYPE_ANNOTATIONS } from '../names';
import { JsonData, Query } from '../types';
import { CommitInput } from './CommitInput';
import { editorIds, EditorIds } from './ids';
import { useMetricFields } from './MetricFields';

type Props = QueryEditorProps<DataSource, Query, JsonData> & {
  annotation?: AnnotationQuery<Query>;
  onAnnotationChange?: (annotation: AnnotationQuery<Query>) => void;
};

const SOURCES: Array<SelectableValue<AnnotationSource>> = [
  { label: 'Metric', value: 'metric', description: "A metric whose answer is a table of events, through the service's /query" },
  { label: 'Annotation query', value: 'text', description: "Query text sent to the service's /annotations, as SimpleJSON does" },
];

/**
 * The annotation editor: a metric and its payload (ours and the JSON
 * datasource's way), or query text (SimpleJSON's). No format or legend:
 * events are always read from a table, whose columns Grafana maps.
 */
export function AnnotationQueryEditor({ datasource, query, onChange, onRunQuery }: Props) {
  const ids = editorIds(query.refId || 'Anno', 'annotation');
  const source = annotationSource(query);
  const change = (next: Partial<Query>, run = true) => {
    onChange({ ...query, queryType: QUERY_TYPE_ANNOTATIONS, ...next });
    if (run) {
      onRunQuery();
    }
  };
  const switchTo = (next: AnnotationSource) => {
    if (next === source) {
      return;
    }
    const kept: Query = { ...query, queryType: QUERY_TYPE_ANNOTATIONS };
    // Each way keeps only its own fields, or the backend would pick the other way.
    for (const key of METRIC_FIELDS) {
      delete kept[key];
    }
    delete kept.query;
    onChange(next === 'text' ? { ...kept, query: '' } : { ...kept, target: '', payload: {} });
  };

  return (
    <EditorRows>
      <EditorRow>
        {/* A radio group is no labelable element: its name comes from aria-label. */}
        <EditorField label="Events from">
          <RadioButtonGroup<AnnotationSource> aria-label="Events from" options={SOURCES} value={source} onChange={switchTo} />
        </EditorField>
      </EditorRow>
      {source === 'metric' ? (
        <MetricEvents datasource={datasource} query={query} ids={ids} change={change} />
      ) : (
        <EditorRow>
          <EditorField
            label="Query"
            width={48}
            htmlFor={ids.control('query')}
            tooltip="Sent to the service's /annotations as annotation.query, with this annotation's name and color. Dashboard variables are replaced."
          >
            <CommitInput id={ids.control('query')} value={query.query ?? ''} placeholder="checkout" onCommit={(text) => change({ query: text })} />
          </EditorField>
        </EditorRow>
      )}
    </EditorRows>
  );
}

// Its own component, so a text annotation never asks the service for metrics.
function MetricEvents(props: { datasource: DataSource; query: Query; ids: EditorIds; change: (next: Partial<Query>, run?: boolean) => void }) {
  const parts = useMetricFields(props);
  return (
    <>
      <EditorRow>
        {parts.metric}
        <Text variant="bodySmall" color="secondary">
          Each row of the answer is an event: columns <code>time</code>, <code>timeEnd</code> (for regions),{' '}
          <code>title</code>, <code>text</code> and <code>tags</code>.
        </Text>
      </EditorRow>
      {parts.notices}
      {parts.payload}
    </>
  );
}
