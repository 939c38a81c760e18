import { CoreApp, QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { Alert, RadioButtonGroup } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { JsonData, Query, QueryFormat, queryFormat } from '../types';
import { CommitInput } from './CommitInput';
import { editorIds } from './ids';
import { useMetricFields } from './MetricFields';

type Props = QueryEditorProps<DataSource, Query, JsonData>;

const FORMATS: Array<SelectableValue<QueryFormat>> = [
  { label: 'Time series', value: 'time_series' },
  { label: 'Table', value: 'table' },
];

const LEGEND_HELP = (
  <>
    Names the series. <code>{'{{tag}}'}</code> is replaced by the series&apos; tag value,{' '}
    <code>{'{{metric}}'}</code> by its name; dashboard variables work too. Empty: the name the service gives.
  </>
);

export function QueryEditor({ datasource, query, onChange, onRunQuery, app }: Props) {
  const ids = editorIds(query.refId);
  const format = queryFormat(query);
  const alias = query.alias ?? query.legendFormat ?? '';
  const alerting = app === CoreApp.UnifiedAlerting;

  const change = (next: Partial<Query>, run = true) => {
    onChange({ ...query, ...next });
    if (run) {
      onRunQuery();
    }
  };
  const parts = useMetricFields({ datasource, query, ids, change });

  return (
    <EditorRows>
      <EditorRow>
        {parts.metric}
        {/* A radio group is no labelable element: its name comes from aria-label, and the field's label points nowhere. */}
        <EditorField label="Format">
          <RadioButtonGroup<QueryFormat>
            aria-label="Format"
            // The backend refuses tables in alert rules, so they are not offered there.
            options={alerting ? FORMATS.filter((f) => f.value !== 'table') : FORMATS}
            value={format}
            onChange={(f) => change({ format: f, type: undefined })}
          />
        </EditorField>
        <EditorField label="Legend" width={32} optional tooltip={LEGEND_HELP} tooltipInteractive htmlFor={ids.legend}>
          <CommitInput
            id={ids.legend}
            placeholder="{{host}} – {{metric}}"
            value={alias}
            onCommit={(value) => change({ alias: value, legendFormat: undefined })}
          />
        </EditorField>
      </EditorRow>

      {alerting && format === 'table' && (
        <Alert severity="warning" title="Alert rules use time series" data-testid="alerting-table">
          This query asks for a table, which the backend refuses in alert rules. Choose Time series.
        </Alert>
      )}
      {parts.notices}
      {parts.payload}
    </EditorRows>
  );
}
