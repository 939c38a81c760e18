import React, { useEffect, useMemo, useState } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { Alert, Input, RadioButtonGroup, Select, TextArea } from '@grafana/ui';

import { DataSource } from '../datasource';
import { PayloadField } from './PayloadField';
import { useDraft } from './useDraft';
import { errorMessage, parsePayload, withField } from '../payload';
import { JsonData, Metric, PayloadDef, PayloadValue, Query, QueryFormat } from '../types';

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

export function QueryEditor({ datasource, query, onChange, onRunQuery }: Props) {
  const { fields, error: payloadError } = useMemo(() => parsePayload(query.payload), [query.payload]);
  const format: QueryFormat = query.format ?? (query.type === 'table' ? 'table' : 'time_series');
  const alias = query.alias ?? query.legendFormat ?? '';

  const metrics = useMetrics(datasource, query.target, fields);
  const selected = metrics.list.find((m) => m.value === query.target);
  const variables = useMemo(() => datasource.variableNames(), [datasource]);

  const change = (next: Partial<Query>, run = true) => {
    onChange({ ...query, ...next });
    if (run) {
      onRunQuery();
    }
  };

  const metricOptions: Array<SelectableValue<string>> = [
    ...metrics.list.map((m) => ({ label: m.label || m.value, value: m.value })),
    ...variables.map((v) => ({ label: v, value: v, description: 'Dashboard variable' })),
  ];
  if (query.target && !metricOptions.some((o) => o.value === query.target)) {
    metricOptions.push({ label: query.target, value: query.target });
  }

  const setField = (name: string, value: PayloadValue | undefined) => change({ payload: withField(fields, name, value) });

  return (
    <EditorRows>
      <EditorRow>
        <EditorField label="Metric" width={32} tooltip="Metrics listed by the service's /metrics endpoint">
          <Select<string>
            inputId={`metric-${query.refId}`}
            aria-label="Metric"
            options={metricOptions}
            value={query.target || null}
            isLoading={metrics.loading}
            allowCustomValue
            placeholder="Choose a metric"
            invalid={Boolean(metrics.error)}
            onChange={(item) => change({ target: item?.value ?? '' })}
          />
        </EditorField>
        <EditorField label="Format">
          <RadioButtonGroup<QueryFormat>
            options={FORMATS}
            value={format}
            onChange={(f) => change({ format: f, type: undefined })}
          />
        </EditorField>
        <EditorField
          label="Legend"
          width={32}
          optional
          tooltip={LEGEND_HELP}
          tooltipInteractive
          htmlFor={`legend-${query.refId}`}
        >
          <LegendInput
            refId={query.refId}
            value={alias}
            onCommit={(value) => change({ alias: value, legendFormat: undefined })}
          />
        </EditorField>
      </EditorRow>

      {metrics.error && (
        <Alert severity="error" title="Could not load the metric list" data-testid="metrics-error">
          {metrics.error}
        </Alert>
      )}

      {typeof query.payload === 'string' && (
        <EditorRow>
          <EditorField
            label="Payload (JSON)"
            width={64}
            htmlFor={`payload-text-${query.refId}`}
            invalid={Boolean(payloadError)}
            error={payloadError}
            tooltip="Saved by the JSON data source as text; it stays text until a field below changes it."
          >
            <PayloadText
              id={`payload-text-${query.refId}`}
              value={query.payload}
              onCommit={(payload) => change({ payload })}
            />
          </EditorField>
        </EditorRow>
      )}

      {selected?.payloads && selected.payloads.length > 0 && (
        <EditorRow>
          {selected.payloads.map((def) => (
            <PayloadFieldSlot
              key={def.name}
              datasource={datasource}
              metric={query.target ?? ''}
              def={def}
              fields={fields}
              disabled={Boolean(payloadError)}
              variables={variables}
              onChange={(v) => setField(def.name, v)}
            />
          ))}
        </EditorRow>
      )}
    </EditorRows>
  );
}

function PayloadFieldSlot({
  datasource,
  metric,
  def,
  fields,
  disabled,
  variables,
  onChange,
}: {
  datasource: DataSource;
  metric: string;
  def: PayloadDef;
  fields: Record<string, PayloadValue>;
  disabled: boolean;
  variables: string[];
  onChange: (value: PayloadValue | undefined) => void;
}) {
  return (
    <PayloadField
      def={def}
      value={fields[def.name]}
      disabled={disabled}
      variables={variables}
      loadOptions={() => datasource.getPayloadOptions(metric, def.name, fields)}
      onChange={onChange}
    />
  );
}

function LegendInput({ refId, value, onCommit }: { refId: string; value: string; onCommit: (v: string) => void }) {
  const [text, setText] = useDraft(value);
  const commit = () => text !== value && onCommit(text);
  return (
    <Input
      id={`legend-${refId}`}
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
        const names = (list.find((m) => m.value === metric)?.payloads ?? []).filter((p) => p.reloadMetric).map((p) => p.name);
        setReloadFields((old) => (old.join() === names.join() ? old : names));
      })
      .catch((e) => live && setLoaded({ key, list: [], error: errorMessage(e) }));
    return () => {
      live = false;
    };
  }, [datasource, key]);

  // While reloading, the previous list stays visible instead of flashing empty.
  return { list: loaded?.list ?? [], loading: loaded?.key !== key, error: loaded?.error };
}
