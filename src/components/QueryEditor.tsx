import { useEffect, useMemo, useReducer, useState } from 'react';
import { CoreApp, QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { Alert, Combobox, ComboboxOption, Input, RadioButtonGroup, TextArea } from '@grafana/ui';

import { DataSource } from '../datasource';
import { errorMessage, parsePayload, withField } from '../payload';
import { JsonData, Metric, PayloadValue, Query, QueryFormat } from '../types';
import { PayloadField } from './PayloadField';
import { useDraft } from './useDraft';

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

const NO_METRICS = 'The service lists no metrics';

// Only letters and digits pass; anything else, "-" included, is written as
// _hex_, so "-" can separate refId and field name and no two fields of two
// queries ever get the same id.
const idPart = (s: string) => s.replace(/[^A-Za-z0-9]/g, (c) => `_${c.codePointAt(0)!.toString(16)}_`);

/** Element ids of one query's editor: unique per query, so labels of A never point into B. */
export function editorIds(refId: string) {
  const q = idPart(refId);
  return {
    metric: `metric-${q}`,
    legend: `legend-${q}`,
    payloadText: `payload-text-${q}`,
    payload: (name: string) => `payload-${q}-${idPart(name)}`,
  };
}

export function QueryEditor({ datasource, query, onChange, onRunQuery, app }: Props) {
  const ids = editorIds(query.refId);
  const { fields, error: payloadError } = useMemo(() => parsePayload(query.payload), [query.payload]);
  const format: QueryFormat = query.format ?? (query.type === 'table' ? 'table' : 'time_series');
  const alias = query.alias ?? query.legendFormat ?? '';
  const alerting = app === CoreApp.UnifiedAlerting;

  const metrics = useMetrics(datasource, query.target, fields);
  // A metric chosen through a variable ($metric) has the fields of the metric it stands for.
  const metric = datasource.resolveMetric(query.target);
  const selected = metrics.list.find((m) => m.value === metric);
  // Read on every render, and re-read when a menu opens: a variable added to
  // the dashboard since the editor opened is offered too.
  const [, reread] = useReducer((n: number) => n + 1, 0);
  const variables = datasource.variableNames();

  const change = (next: Partial<Query>, run = true) => {
    onChange({ ...query, ...next });
    if (run) {
      onRunQuery();
    }
  };

  const metricOptions: Array<ComboboxOption<string>> = [
    ...metrics.list.map((m) => ({ label: m.label || m.value, value: m.value })),
    ...variables.map((v) => ({ label: v, value: v, description: 'Dashboard variable' })),
  ];
  if (query.target && !metricOptions.some((o) => o.value === query.target)) {
    metricOptions.push({ label: query.target, value: query.target });
  }
  const empty = metrics.loaded && !metrics.error && metrics.list.length === 0;

  const setField = (name: string, value: PayloadValue | undefined) => change({ payload: withField(fields, name, value) });

  return (
    <EditorRows>
      <EditorRow>
        <EditorField label="Metric" width={32} tooltip="Metrics listed by the service's /metrics endpoint" htmlFor={ids.metric}>
          <Combobox<string>
            id={ids.metric}
            options={metricOptions}
            value={query.target || null}
            loading={metrics.loading}
            createCustomValue
            placeholder="Choose a metric"
            invalid={Boolean(metrics.error)}
            noOptionsMessage={empty ? `${NO_METRICS}; type a metric name` : undefined}
            onIsOpenChange={(open) => open && reread()}
            onChange={(item) => change({ target: item.value })}
          />
        </EditorField>
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
          <LegendInput id={ids.legend} value={alias} onCommit={(value) => change({ alias: value, legendFormat: undefined })} />
        </EditorField>
      </EditorRow>

      {alerting && format === 'table' && (
        <Alert severity="warning" title="Alert rules use time series" data-testid="alerting-table">
          This query asks for a table, which the backend refuses in alert rules. Choose Time series.
        </Alert>
      )}
      {metrics.error && (
        <Alert severity="error" title="Could not load the metric list" data-testid="metrics-error">
          {metrics.error}
        </Alert>
      )}
      {empty && (
        <Alert severity="info" title={NO_METRICS} data-testid="metrics-empty">
          Its <code>/metrics</code> endpoint (<code>/search</code> on SimpleJSON servers) answered an empty list. Check
          that the service has metrics for the credentials configured here, and that the data source URL points at the
          service&apos;s API, path included. A metric name typed in the Metric field is still sent.
        </Alert>
      )}

      {typeof query.payload === 'string' && (
        <EditorRow>
          <EditorField
            label="Payload (JSON)"
            width={64}
            htmlFor={ids.payloadText}
            invalid={Boolean(payloadError)}
            error={payloadError}
            tooltip="Saved by the JSON data source as text; it stays text until a field below changes it."
          >
            <PayloadText id={ids.payloadText} value={query.payload} onCommit={(payload) => change({ payload })} />
          </EditorField>
        </EditorRow>
      )}

      {selected?.payloads && selected.payloads.length > 0 && (
        <EditorRow>
          {selected.payloads.map((def) => {
            const others = withField(fields, def.name, undefined);
            return (
              <PayloadField
                key={def.name}
                id={ids.payload(def.name)}
                def={def}
                value={fields[def.name]}
                disabled={Boolean(payloadError)}
                variables={variables}
                optionsKey={JSON.stringify([query.target ?? '', others])}
                loadOptions={() => datasource.getPayloadOptions(query.target ?? '', def.name, others)}
                onChange={(v) => setField(def.name, v)}
              />
            );
          })}
        </EditorRow>
      )}
    </EditorRows>
  );
}

function LegendInput({ id, value, onCommit }: { id: string; value: string; onCommit: (v: string) => void }) {
  const [text, setText] = useDraft(value);
  const commit = () => text !== value && onCommit(text);
  return (
    <Input
      id={id}
      placeholder="{{host}} – {{metric}}"
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}

function PayloadText({ id, value, onCommit }: { id: string; value: string; onCommit: (v: string) => void }) {
  const [text, setText] = useDraft(value);
  return (
    <TextArea
      id={id}
      rows={4}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={() => text !== value && onCommit(text)}
    />
  );
}

/**
 * Loads the metric list. It reloads when the metric changes or when a field
 * marked reloadMetric changes, since the service may then offer other
 * fields.
 */
function useMetrics(datasource: DataSource, target: string | undefined, fields: Record<string, PayloadValue>) {
  const [reloadFields, setReloadFields] = useState<string[]>([]);
  const reloadPayload = Object.fromEntries(reloadFields.filter((n) => n in fields).map((n) => [n, fields[n]]));
  // What the list depends on; a list loaded for another key is stale.
  const key = JSON.stringify([target ?? '', reloadPayload]);
  const [loaded, setLoaded] = useState<{ key: string; list: Metric[]; error?: string }>();

  useEffect(() => {
    let live = true;
    const [metric, payload] = JSON.parse(key) as [string, Record<string, PayloadValue>];
    datasource
      .getMetrics(metric, payload)
      .then((list) => {
        if (!live) {
          return;
        }
        setLoaded({ key, list });
        const resolved = datasource.resolveMetric(metric);
        const names = (list.find((m) => m.value === resolved)?.payloads ?? []).filter((p) => p.reloadMetric).map((p) => p.name);
        setReloadFields((old) => (old.join() === names.join() ? old : names));
      })
      .catch((e) => live && setLoaded({ key, list: [], error: errorMessage(e) }));
    return () => {
      live = false;
    };
  }, [datasource, key]);

  // While reloading, the previous list stays visible instead of flashing empty.
  return { list: loaded?.list ?? [], loading: loaded?.key !== key, loaded: loaded !== undefined, error: loaded?.error };
}
