import { CoreApp, QueryEditorProps, SelectableValue } from '@grafana/data';
import { Alert, RadioButtonGroup, Switch } from '@grafana/ui';

import { EditorField, EditorRow, EditorRows } from './EditorLayout';
import type { DataSource } from '../datasource';
import { forwardsIdentity, IdentityJsonData } from '../identity';
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

const LIVE_HELP =
  'On: after the first answer the panel receives the new points every interval through Grafana Live, without running ' +
  "the query again, as long as the panel's range ends at now. Never more often than the data source's minimum live interval.";

// The backend answers a table whole, so there is nothing to append to.
const LIVE_TABLE = 'Live streams time series only: a table is answered whole. Choose Time series to stream.';

// The backend refuses every live query of such a data source (plugin.errLiveForwarding).
const LIVE_FORWARDING =
  "Live is off because this data source forwards the signed-in user's identity (Forward OAuth identity, send user " +
  'header or allowed cookies): a stream polls once for every viewer, so it has no user to forward. Use a data source ' +
  'without forwarding to stream.';

export function QueryEditor({ datasource, query, onChange, onRunQuery, app }: Props) {
  const ids = editorIds(query.refId);
  const format = queryFormat(query);
  const alias = query.alias ?? query.legendFormat ?? '';
  const alerting = app === CoreApp.UnifiedAlerting;
  const forwarding = forwardsIdentity(datasource.instanceSettings.jsonData as IdentityJsonData);
  const liveRefused = forwarding ? LIVE_FORWARDING : format === 'table' ? LIVE_TABLE : undefined;
  // A query saved with live on before forwarding was turned on fails with the backend's
  // "turn the Live switch off": the switch stays on and usable until it is.
  const liveStuck = forwarding && format !== 'table' && query.live === true;

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
            // A table cannot stream, and the backend refuses one that asks to.
            onChange={(f) => change({ format: f, type: undefined, ...(f === 'table' ? { live: undefined } : {}) })}
          />
        </EditorField>
        {/* Alert rules are evaluated once per run and the backend ignores live there, so it is not offered. */}
        {!alerting && (
          <EditorField
            label="Live"
            htmlFor={ids.control('live')}
            tooltip={liveRefused ?? LIVE_HELP}
          >
            <Switch
              id={ids.control('live')}
              value={(!liveRefused || liveStuck) && query.live === true}
              disabled={Boolean(liveRefused) && !liveStuck}
              // The disabled switch says why, hovered and to screen readers.
              title={liveRefused}
              onChange={(e) => change({ live: e.currentTarget.checked || undefined })}
            />
          </EditorField>
        )}
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
