// A dashboard panel with one query of the plugin's editor, kept subscribed
// as Grafana's panel query runner keeps it: every response of the query's
// Observable replaces the panel's data, so a live query's stream redraws
// it. What the browser test reads is written out beside a small chart.
import { ComponentType, useEffect, useState } from 'react';
import {
  CoreApp,
  DataFrame,
  DataQueryRequest,
  DataSourceApi,
  dateTime,
  FieldType,
  LoadingState,
  QueryEditorProps,
} from '@grafana/data';
import { from } from 'rxjs';

import { Query } from './dashboard';

// One point a second over the last 5 minutes: the poll interval the
// backend streams at, never faster than its floor (1 s by default).
const SPAN_MS = 5 * 60 * 1000;
const INTERVAL_MS = 1000;

function liveRequest(target: Query): DataQueryRequest<Query> {
  const now = dateTime();
  const raw = { from: 'now-5m', to: 'now' };
  return {
    app: CoreApp.Dashboard,
    requestId: 'live',
    timezone: 'utc',
    range: { from: dateTime(now.valueOf() - SPAN_MS), to: now, raw },
    rangeRaw: raw,
    interval: '1s',
    intervalMs: INTERVAL_MS,
    maxDataPoints: SPAN_MS / INTERVAL_MS,
    targets: [target],
    scopedVars: {},
    startTime: Date.now(),
  } as unknown as DataQueryRequest<Query>;
}

interface Seen {
  state: string;
  responses: number;
  frame?: DataFrame;
  error?: string;
}

/**
 * The panel's data, one line: state, rows, the newest time, duplicate
 * times, whether times ascend, the distinct steps between rows (one step:
 * no gap), the series.
 */
export function describeLive({ state, responses, frame, error }: Seen): string {
  if (error) {
    return `state=${state} responses=${responses} error: ${error}`;
  }
  const times = (frame?.fields.find((f) => f.type === FieldType.time)?.values ?? []) as number[];
  const duplicates = times.length - new Set(times).size;
  const ascending = times.every((t, i) => i === 0 || times[i - 1] < t);
  const steps = [...new Set(times.slice(1).map((t, i) => t - times[i]))].sort((a, b) => a - b);
  const last = times.length ? new Date(times[times.length - 1]).toISOString() : 'none';
  const series = frame?.fields.filter((f) => f.type === FieldType.number).map((f) => f.config.displayNameFromDS ?? f.name) ?? [];
  const notices = (frame?.meta?.notices ?? []).map((n) => n.text).join('; ');
  return `state=${state} responses=${responses} rows=${times.length} last=${last} duplicates=${duplicates} ascending=${ascending} steps=${steps.join(',')} series=${series.join(' | ')}${notices ? ` notices: ${notices}` : ''}`;
}

/** The last two minutes of each series as a line. */
function Chart({ frame }: { frame?: DataFrame }) {
  const W = 640;
  const H = 160;
  const time = frame?.fields.find((f) => f.type === FieldType.time);
  const values = frame?.fields.filter((f) => f.type === FieldType.number) ?? [];
  if (!time || time.values.length === 0) {
    return null;
  }
  const t = time.values as number[];
  const end = t[t.length - 1];
  const start = end - 2 * 60 * 1000;
  const all = values.flatMap((f) => (f.values as Array<number | null>).filter((v, i) => v !== null && t[i] >= start) as number[]);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const x = (ts: number) => ((ts - start) / (end - start)) * W;
  const y = (v: number) => H - ((v - lo) / (hi - lo || 1)) * (H - 10) - 5;
  const colours = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a'];
  return (
    <svg width={W} height={H} role="img" aria-label="Live chart" style={{ background: '#181b1f', display: 'block' }}>
      {values.map((f, k) => (
        <polyline
          key={f.name}
          fill="none"
          stroke={colours[k % colours.length]}
          strokeWidth={1.5}
          points={(f.values as Array<number | null>)
            .map((v, i) => (v === null || t[i] < start ? '' : `${x(t[i]).toFixed(1)},${y(v).toFixed(1)}`))
            .filter(Boolean)
            .join(' ')}
        />
      ))}
    </svg>
  );
}

type Editor = ComponentType<QueryEditorProps<DataSourceApi<Query>, Query>>;

export function LivePanel({ datasource, Editor }: { datasource: DataSourceApi<Query>; Editor: Editor }) {
  // One series of the reference server; the test turns Live on in the editor.
  const [query, setQuery] = useState<Query>({ refId: 'L', target: 'requests_per_second', payload: { service: ['checkout'], region: 'eu-west' } });
  const [runs, setRuns] = useState(0);
  const [seen, setSeen] = useState<Seen>({ state: 'not run yet', responses: 0 });

  useEffect(() => {
    let responses = 0;
    const s = from(datasource.query(liveRequest(query))).subscribe({
      next: (res) => {
        responses++;
        const error = res.errors?.map((e) => e.message).join('; ') || res.error?.message;
        setSeen({ state: res.state ?? LoadingState.Done, responses, frame: res.data[0] as DataFrame | undefined, error });
      },
      error: (e: unknown) => setSeen({ state: LoadingState.Error, responses, error: String(e) }),
    });
    return () => s.unsubscribe();
    // The query runs again when the editor says so, as in a panel.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [datasource, runs]);

  return (
    <section data-testid="live-panel" style={{ marginTop: 48 }}>
      <h2>Live panel: requests_per_second, checkout in eu-west</h2>
      <Editor datasource={datasource} query={query} app={CoreApp.PanelEditor} onChange={setQuery} onRunQuery={() => setRuns((n) => n + 1)} />
      <div style={{ marginTop: 16 }}>
        <Chart frame={seen.frame} />
      </div>
      <pre data-testid="live-result" style={{ whiteSpace: 'pre-wrap' }}>
        {describeLive(seen)}
      </pre>
    </section>
  );
}
