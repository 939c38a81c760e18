// The parts of a Grafana dashboard the plugin's variable, ad hoc filter and
// annotation support plug into: two chained query variables, an ad hoc
// filter, a panel that all of them narrow, and an annotation. Each runs
// through the plugin exactly as Grafana calls it (variables.query,
// getTagKeys/getTagValues with request.filters, annotations.prepareQuery
// then query()).
import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  AdHocVariableFilter,
  AnnotationQuery,
  AnnotationSupport,
  CoreApp,
  CustomVariableSupport,
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  dateTime,
  Field,
  MetricFindValue,
} from '@grafana/data';
import { lastValueFrom, Observable } from 'rxjs';

export type Query = { refId: string; hide?: boolean } & Record<string, unknown>;
type Variables = CustomVariableSupport<DataSourceApi<Query>, Query, Query>;

/** A dashboard request over the last 6 hours, with the dashboard's ad hoc filters. */
export function hostRequest(targets: Query[], filters: AdHocVariableFilter[]): DataQueryRequest<Query> {
  const now = dateTime();
  return {
    app: CoreApp.Dashboard,
    requestId: 'host',
    timezone: 'utc',
    range: { from: dateTime(now).subtract(6, 'hours'), to: now, raw: { from: 'now-6h', to: 'now' } },
    interval: '1m',
    intervalMs: 60000,
    maxDataPoints: 360,
    targets,
    filters,
    scopedVars: {},
    startTime: Date.now(),
  } as unknown as DataQueryRequest<Query>;
}

export async function answer(o: Observable<DataQueryResponse> | Promise<DataQueryResponse>): Promise<DataQueryResponse> {
  return o instanceof Observable ? lastValueFrom(o) : o;
}

const errorsOf = (res: DataQueryResponse) => (res.errors?.length || res.error ? (res.errors ?? [res.error]).map((e) => e?.message).join('; ') : '');

/** One line per answer: the frames, their fields with labels, and their rows. */
export function describeFrames(res: DataQueryResponse): string {
  const errors = errorsOf(res);
  if (errors) {
    return `error: ${errors}`;
  }
  const frames = res.data as DataFrame[];
  const fieldName = (f: Field) =>
    f.config?.displayNameFromDS ??
    (f.labels ? `${f.name}{${Object.entries(f.labels).map(([k, v]) => `${k}=${v}`).join(', ')}}` : f.name);
  return (
    `${frames.length} frame(s): ` +
    frames.map((f) => `${f.name ?? '(unnamed)'} [${f.fields.map(fieldName).join(', ')}] ${f.length} rows`).join('; ')
  );
}

/** What the backend sent the service, as the query inspector shows it. */
const sent = (res: DataQueryResponse) => ((res.data as DataFrame[])[0]?.meta?.executedQueryString as string | undefined) ?? '';

/** A variable's options, read from the text and value fields as Grafana reads them. */
function variableOptions(res: DataQueryResponse): MetricFindValue[] {
  return (res.data as DataFrame[]).flatMap((frame) => {
    const text = frame.fields.find((f) => f.name === 'text');
    const value = frame.fields.find((f) => f.name === 'value') ?? text;
    return Array.from({ length: frame.length }, (_, i) => ({ text: String(text?.values[i]), value: String(value?.values[i]) }));
  });
}

interface Props {
  datasource: DataSourceApi<Query>;
  /** Sets a dashboard variable's value in the template service. */
  setVariable: (name: string, value: string) => void;
  filters: AdHocVariableFilter[];
  setFilters: (f: AdHocVariableFilter[]) => void;
}

export function Dashboard(props: Props) {
  // The value of $service, so what depends on it runs again when it changes.
  const [serviceValue, setServiceValue] = useState<string>();
  const { setVariable } = props;
  const onService = useCallback(
    (v: string) => {
      setVariable('service', v);
      setServiceValue(v);
    },
    [setVariable]
  );
  return (
    <>
      <Variables {...props} serviceValue={serviceValue} onService={onService} />
      <AdhocFilter {...props} />
      <Panel {...props} serviceValue={serviceValue} />
      <SwitchedPanel {...props} />
      <Annotation {...props} serviceValue={serviceValue} />
    </>
  );
}

function Variables({ datasource, serviceValue, onService }: Props & { serviceValue?: string; onService: (v: string) => void }) {
  const support = datasource.variables as Variables;
  const Editor = support.editor;
  // As Grafana holds them: a new variable's query is an empty string.
  const [serviceQuery, setServiceQuery] = useState<unknown>('');
  const [versionQuery, setVersionQuery] = useState<unknown>({ refId: 'version', query: '', format: 'string' });
  const service = useVariable(support, serviceQuery);
  const version = useVariable(support, versionQuery, serviceValue);

  // The first option is selected, as Grafana selects one for a new variable.
  const first = service.options?.[0]?.value;
  useEffect(() => {
    if (first !== undefined && !service.options?.some((o) => o.value === serviceValue)) {
      onService(String(first));
    }
  }, [first, service.options, serviceValue, onService]);

  const editor = (query: unknown, set: (q: unknown) => void) => (
    <Editor datasource={datasource} query={query as Query} onChange={(q) => set(q)} onRunQuery={() => {}} />
  );
  return (
    <section data-testid="variables-page" style={{ marginTop: 48 }}>
      <h2>Template variables</h2>
      <div data-testid="variable-service">
        <h3>$service</h3>
        {editor(serviceQuery, setServiceQuery)}
        <label htmlFor="service-value">Value of $service </label>
        <select
          id="service-value"
          value={serviceValue ?? ''}
          onChange={(e) => onService(e.currentTarget.value)}
        >
          {(service.options ?? []).map((o) => (
            <option key={String(o.value)} value={String(o.value)}>
              {o.text}
            </option>
          ))}
        </select>
        <pre data-testid="variable-service-options">{service.text}</pre>
      </div>
      <div data-testid="variable-version" style={{ marginTop: 24 }}>
        <h3>$version, chained to $service</h3>
        {editor(versionQuery, setVersionQuery)}
        <pre data-testid="variable-version-options">{version.text}</pre>
      </div>
    </section>
  );
}

/**
 * Runs a variable's query whenever it, or the variable it depends on,
 * changes, as Grafana refreshes variables. Ad hoc filters do not narrow
 * variable queries in Grafana, so none are sent.
 */
function useVariable(support: Variables, query: unknown, dependsOn?: string) {
  const [state, setState] = useState<{ options?: MetricFindValue[]; text: string }>({ text: 'not run yet' });
  useEffect(() => {
    let live = true;
    answer(support.query(hostRequest([query as Query], [])))
      .then((res) => {
        const errors = errorsOf(res);
        const options = variableOptions(res);
        if (live) {
          setState(errors ? { text: `error: ${errors}` } : { options, text: `${options.length} option(s): ${options.map((o) => o.text).join(', ')}` });
        }
      })
      .catch((e) => live && setState({ text: `error: ${String(e?.data?.message ?? e)}` }));
    return () => {
      live = false;
    };
  }, [support, query, dependsOn]);
  return state;
}

const OPERATORS = ['=', '!=', '=~', '!~', '<', '>'];

/** Grafana's ad hoc filter, reduced to plain controls: keys and values come from the data source. */
function AdhocFilter({ datasource, filters, setFilters }: Props) {
  const [keys, setKeys] = useState<MetricFindValue[]>([]);
  const [loads, setLoads] = useState(0);
  const [key, setKey] = useState('');
  const [operator, setOperator] = useState('=');
  const [value, setValue] = useState('');
  const [values, setValues] = useState<MetricFindValue[]>([]);

  useEffect(() => {
    let live = true;
    datasource.getTagKeys?.({ filters: [] })?.then((k) => live && setKeys(k as MetricFindValue[]));
    return () => {
      live = false;
    };
  }, [datasource, loads]);
  useEffect(() => {
    let live = true;
    if (key !== '') {
      datasource.getTagValues?.({ key, filters })?.then((v) => live && setValues(v as MetricFindValue[]));
    }
    return () => {
      live = false;
    };
  }, [datasource, key, filters]);

  return (
    <section data-testid="adhoc-page" style={{ marginTop: 48 }}>
      <h2>Ad hoc filter</h2>
      <label htmlFor="adhoc-key">Key </label>
      <select id="adhoc-key" value={key} onChange={(e) => setKey(e.currentTarget.value)}>
        <option value="">choose</option>
        {keys.map((k) => (
          <option key={String(k.value ?? k.text)} value={String(k.value ?? k.text)}>
            {k.text}
          </option>
        ))}
      </select>{' '}
      <label htmlFor="adhoc-operator">Operator </label>
      <select id="adhoc-operator" value={operator} onChange={(e) => setOperator(e.currentTarget.value)}>
        {OPERATORS.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>{' '}
      <label htmlFor="adhoc-value">Value </label>
      <input id="adhoc-value" list="adhoc-values" value={value} onChange={(e) => setValue(e.currentTarget.value)} />
      <datalist id="adhoc-values" data-testid="adhoc-values">
        {values.map((v) => (
          <option key={String(v.value ?? v.text)} value={String(v.value ?? v.text)} />
        ))}
      </datalist>{' '}
      <button type="button" onClick={() => key && setFilters([...filters, { key, operator, value, condition: '' }])}>
        Add filter
      </button>{' '}
      <button type="button" onClick={() => setLoads((n) => n + 1)}>
        Reload keys
      </button>
      <pre data-testid="adhoc-filters">{filters.map((f) => `${f.key} ${f.operator} ${f.value}`).join(' AND ') || 'no filters'}</pre>
    </section>
  );
}

/** A panel of every series of one metric: only the filters and nothing else narrow it. */
function Panel({ datasource, filters, serviceValue }: Props & { serviceValue?: string }) {
  const [result, setResult] = useState({ text: 'not run yet', sent: '' });
  useEffect(() => {
    let live = true;
    answer(datasource.query(hostRequest([{ refId: 'P', target: 'requests_per_second', payload: {} }], filters)))
      .then((res) => live && setResult({ text: describeFrames(res), sent: sent(res) }))
      .catch((e) => live && setResult({ text: `error: ${String(e)}`, sent: '' }));
    return () => {
      live = false;
    };
  }, [datasource, filters, serviceValue]);
  return (
    <section data-testid="panel-page" style={{ marginTop: 48 }}>
      <h2>Panel: every requests_per_second series</h2>
      <pre data-testid="panel-result" style={{ whiteSpace: 'pre-wrap' }}>
        {result.text}
      </pre>
      <pre data-testid="panel-sent" style={{ whiteSpace: 'pre-wrap', maxHeight: 120, overflow: 'auto' }}>
        {result.sent}
      </pre>
    </section>
  );
}

/**
 * A panel saved by the JSON datasource, switched to this one: $host is
 * "All" over 150 hosts, in the target and in the JSON-text payload. The
 * JSON datasource sent one request with Grafana's regex format; so must
 * this one, by default.
 */
function SwitchedPanel({ datasource }: Props) {
  const [result, setResult] = useState({ text: 'not run yet', sent: [] as string[] });
  useEffect(() => {
    let live = true;
    const saved: Query = { refId: 'S', target: '$host', payload: '{"hosts": "$host"}', type: 'timeserie' };
    answer(datasource.query(hostRequest([saved], [])))
      .then(
        (res) =>
          live &&
          setResult({
            text: describeFrames(res),
            sent: (res.data as DataFrame[]).map((f) => f.meta?.executedQueryString).filter((q): q is string => typeof q === 'string'),
          })
      )
      .catch((e) => live && setResult({ text: `error: ${String(e)}`, sent: [] }));
    return () => {
      live = false;
    };
  }, [datasource]);
  return (
    <section data-testid="switched-page" style={{ marginTop: 48 }}>
      <h2>Panel saved by the JSON datasource: $host = All (150 hosts)</h2>
      <pre data-testid="switched-result" style={{ whiteSpace: 'pre-wrap' }}>
        {result.text}
      </pre>
      <pre data-testid="switched-sent" style={{ whiteSpace: 'pre-wrap', maxHeight: 120, overflow: 'auto' }}>
        {JSON.stringify(result.sent)}
      </pre>
    </section>
  );
}

/** An annotation as Grafana's annotation settings page edits and runs it. */
function Annotation({ datasource, filters, serviceValue }: Props & { serviceValue?: string }) {
  const support = datasource.annotations as AnnotationSupport<Query>;
  const Editor = support.QueryEditor!;
  // Saved by SimpleJSON: query text beside the annotation's settings.
  const [annotation, setAnnotation] = useState<AnnotationQuery<Query>>(() =>
    support.prepareAnnotation!({ name: 'Deployments', enable: true, iconColor: 'red', query: 'checkout' })
  );
  const [result, setResult] = useState({ text: 'not run yet', sent: '' });

  const query = useMemo(() => support.prepareQuery!(annotation), [support, annotation]);

  // Runs whenever the annotation, the filters or the variable change, as the dashboard would.
  useEffect(() => {
    if (!query) {
      return;
    }
    let live = true;
    answer(datasource.query(hostRequest([{ ...query, refId: 'Anno' }], filters)))
      .then((res) => live && setResult({ text: describeEvents(res), sent: sent(res) }))
      .catch((e) => live && setResult({ text: `error: ${String(e)}`, sent: '' }));
    return () => {
      live = false;
    };
  }, [datasource, query, filters, serviceValue]);
  const shown = query ? result : { text: 'skipped: no query', sent: '' };

  return (
    <section data-testid="annotation-page" style={{ marginTop: 48 }}>
      <h2>Annotation</h2>
      <div data-testid="annotation-editor">
        <Editor
          datasource={datasource}
          query={{ ...support.getDefaultQuery?.(), ...(annotation.target ?? { refId: 'Anno' }) } as Query}
          onChange={(target) => setAnnotation((a) => ({ ...a, target }))}
          onRunQuery={() => {}}
          annotation={annotation}
          onAnnotationChange={setAnnotation}
        />
      </div>
      <pre data-testid="annotation-result" style={{ whiteSpace: 'pre-wrap' }}>
        {shown.text}
      </pre>
      <pre data-testid="annotation-sent" style={{ whiteSpace: 'pre-wrap', maxHeight: 120, overflow: 'auto' }}>
        {shown.sent}
      </pre>
    </section>
  );
}

/** The events as Grafana's standard processing reads them: fields by name. */
function describeEvents(res: DataQueryResponse): string {
  const errors = errorsOf(res);
  if (errors) {
    return `error: ${errors}`;
  }
  const frames = res.data as DataFrame[];
  const events = frames.flatMap((frame) => {
    const field = (name: string) => frame.fields.find((f) => f.name === name);
    return Array.from({ length: frame.length }, (_, i) => ({
      time: field('time')?.values[i],
      timeEnd: field('timeEnd')?.values[i],
      title: field('title')?.values[i],
      tags: field('tags')?.values[i],
    }));
  });
  const fields = frames[0]?.fields.map((f) => f.name).join(', ') ?? '';
  return `${events.length} event(s) [${fields}]: ${events.map((e) => `${e.title} (${e.timeEnd ? 'region' : 'point'}; tags ${JSON.stringify(e.tags)})`).join('; ')}`;
}
