import { ReactNode, useEffect, useMemo, useReducer, useState } from 'react';
import { Alert, Combobox, ComboboxOption } from '@grafana/ui';

import { EditorField } from './EditorLayout';
import type { DataSource } from '../datasource';
import { errorMessage, parsePayload } from '../payload';
import { Metric, PayloadValue, Query } from '../types';
import { EditorIds } from './ids';
import { PayloadEditor } from './PayloadEditor';

const NO_METRICS = 'The service lists no metrics';

interface Args {
  datasource: DataSource;
  query: Query;
  ids: EditorIds;
  /** Saves the change; `run` says whether the query runs again. */
  change: (next: Partial<Query>, run?: boolean) => void;
}

/**
 * The metric picker, what to say about the metric list, and the chosen
 * metric's payload fields: the part the query editor and the annotation
 * editor share. Each editor lays the pieces out itself.
 */
export function useMetricFields({ datasource, query, ids, change }: Args): { metric: ReactNode; notices: ReactNode; payload: ReactNode } {
  const { fields } = useMemo(() => parsePayload(query.payload), [query.payload]);
  const metrics = useMetrics(datasource, query.target, fields);
  // A metric chosen through a variable ($metric) has the fields of the metric it stands for.
  const resolved = datasource.resolveMetric(query.target);
  const selected = metrics.list.find((m) => m.value === resolved);
  // Read on every render, and re-read when a menu opens: a variable added to
  // the dashboard since the editor opened is offered too. Grafana 11.6's
  // Combobox ignores onIsOpenChange; there the picker re-reads when it gets
  // focus, which opening its menu with a click gives unless it had it.
  const [, reread] = useReducer((n: number) => n + 1, 0);
  const variables = datasource.variableNames();

  const metricOptions: Array<ComboboxOption<string>> = [
    ...metrics.list.map((m) => ({ label: m.label || m.value, value: m.value })),
    ...variables.map((v) => ({ label: v, value: v, description: 'Dashboard variable' })),
  ];
  if (query.target && !metricOptions.some((o) => o.value === query.target)) {
    metricOptions.push({ label: query.target, value: query.target });
  }
  const empty = metrics.loaded && !metrics.error && metrics.list.length === 0;

  const metric = (
    <EditorField label="Metric" width={32} tooltip="Metrics listed by the service's /metrics endpoint" htmlFor={ids.metric} onFocus={reread}>
      <Combobox<string>
        id={ids.metric}
        options={metricOptions}
        value={query.target || null}
        loading={metrics.loading}
        createCustomValue
        placeholder="Choose a metric"
        invalid={Boolean(metrics.error)}
        // Grafana 11.6's Combobox ignores this; the metrics-empty notice below says it there.
        noOptionsMessage={empty ? `${NO_METRICS}; type a metric name` : undefined}
        onIsOpenChange={(open) => open && reread()}
        onChange={(item) => change({ target: item.value })}
      />
    </EditorField>
  );

  const notices = (
    <>
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
    </>
  );

  const payload = (
    <PayloadEditor
      datasource={datasource}
      query={query}
      ids={ids}
      defs={selected?.payloads ?? []}
      variables={variables}
      change={change}
    />
  );

  return { metric, notices, payload };
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
