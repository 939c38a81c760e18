import {
  DataFrame,
  DataFrameJSON,
  DataQueryResponse,
  dateTime,
  FieldType,
  CoreApp,
  LoadingState,
  StreamingDataFrame,
  StreamingFrameAction,
  TimeRange,
} from '@grafana/data';
import { GrafanaLiveSrv, LiveDataStreamOptions, setGrafanaLiveSrv } from '@grafana/runtime';
import { firstValueFrom, Observable, Subject, take, toArray } from 'rxjs';

import { DataSource, liveBuffer, rangeIncludesNow } from './datasource';
import { installBackend } from './test/backendSrv';
import { instanceSettings } from './test/instance';
import { request } from './test/query';
import { fakeTemplateSrv } from './test/templateSrv';
import { Query } from './types';

const newDatasource = () => new DataSource(instanceSettings(), fakeTemplateSrv({ metrics: ['cpu', 'mem'], host: 'web-1' }));

function range(from: string, to: string, spanMs = 3_600_000): TimeRange {
  const end = dateTime();
  return { from: dateTime(end.valueOf() - spanMs), to: end, raw: { from, to } };
}

const T0 = 1_700_000_000_000;

/** The backend's first answer to a live query: a wide frame with its channel, two rows. */
function liveFrame(q: Query): DataFrameJSON {
  return {
    schema: {
      refId: q.refId,
      name: q.target,
      meta: { channel: `ds/inhouse-uid/live/${q.target}-hash` },
      fields: [
        { name: 'Time', type: FieldType.time },
        { name: `${q.target}{host=web-1}`, type: FieldType.number, labels: { host: 'web-1' } },
      ],
    },
    data: { values: [[T0, T0 + 1000], [1, 2]] },
  };
}

/** /api/ds/query as the backend answers it: a channel on live queries' frames only. Returns what it received. */
function liveBackend(): Query[] {
  const received: Query[] = [];
  installBackend((call) => {
    const queries = (call.data as { queries: Query[] }).queries;
    received.push(...queries);
    const results = Object.fromEntries(
      queries.map((q) => {
        const frame = liveFrame(q);
        if (!q.live) {
          delete frame.schema!.meta;
        }
        return [q.refId, { frames: [frame] }];
      })
    );
    return { status: 200, data: { results } };
  });
  return received;
}

/**
 * Grafana Live as the frontend sees it: one StreamingDataFrame per
 * subscription, started from the first answer with the buffer options the
 * data source asked for, then fed the packets the test sends.
 */
function fakeLive() {
  const subscriptions: Array<{ options: LiveDataStreamOptions; packets: Subject<DataFrameJSON> }> = [];
  const live = {
    getDataStream: (options: LiveDataStreamOptions) =>
      new Observable<DataQueryResponse>((subscriber) => {
        const packets = new Subject<DataFrameJSON>();
        subscriptions.push({ options, packets });
        const frame = StreamingDataFrame.fromDataFrameJSON(options.frame!, options.buffer);
        const emit = () => subscriber.next({ key: options.addr.path, state: LoadingState.Streaming, data: [frame] });
        emit();
        const sub = packets.subscribe((p) => {
          frame.push(p);
          emit();
        });
        return () => sub.unsubscribe();
      }),
  } as unknown as GrafanaLiveSrv;
  setGrafanaLiveSrv(live);
  return subscriptions;
}

describe('which queries stream', () => {
  const hour = range('now-1h', 'now');
  const cases: Array<{ name: string; query: Partial<Query>; range?: TimeRange; live: boolean }> = [
    { name: 'time series over a range ending now', query: { target: 'cpu', live: true }, live: true },
    { name: 'the format said as time_series', query: { target: 'cpu', live: true, format: 'time_series' }, live: true },
    { name: 'today so far (now/d)', query: { target: 'cpu', live: true }, range: range('now/d', 'now/d'), live: true },
    { name: 'off unless asked', query: { target: 'cpu' }, live: false },
    { name: 'not a table', query: { target: 'cpu', live: true, format: 'table' }, live: false },
    { name: "not a table in SimpleJSON's type", query: { target: 'cpu', live: true, type: 'table' }, live: false },
    { name: 'not yesterday (now-1d/d)', query: { target: 'cpu', live: true }, range: range('now-1d/d', 'now-1d/d'), live: false },
    { name: 'not an hour ago', query: { target: 'cpu', live: true }, range: range('now-2h', 'now-1h'), live: false },
  ];
  it.each(cases)('$name', async ({ query, range: r = hour, live }) => {
    fakeLive();
    const received = liveBackend();
    await firstValueFrom(newDatasource().query(request([query], { range: r })));
    expect(received).toHaveLength(1);
    expect(received[0].live === true).toBe(live);
  });

  it('an absolute range does not stream', () => {
    const end = dateTime();
    expect(rangeIncludesNow({ from: dateTime(end.valueOf() - 1000), to: end, raw: { from: dateTime(end.valueOf() - 1000), to: end } })).toBe(false);
  });
});

describe('live survives the ways a query is prepared', () => {
  it('applyTemplateVariables', () => {
    expect(newDatasource().applyTemplateVariables({ refId: 'A', target: '$host', live: true }, {})).toMatchObject({ target: 'web-1', live: true });
  });

  it('interpolateVariablesInQueries, into every query of a split', () => {
    const got = newDatasource().interpolateVariablesInQueries([{ refId: 'A', target: '$metrics', live: true }], {});
    expect(got.map((q) => [q.refId, q.target, q.live])).toEqual([
      ['A', 'cpu', true],
      ['A-2', 'mem', true],
    ]);
  });

  it('is not on in a new query', () => {
    expect(newDatasource().getDefaultQuery(CoreApp.PanelEditor)).not.toHaveProperty('live');
  });

  it('shows in the query history text', () => {
    expect(newDatasource().getQueryDisplayText({ refId: 'A', target: 'cpu', live: true })).toBe('cpu live');
  });
});

describe('liveBuffer', () => {
  const frame = (length: number) => ({ length, fields: [] }) as DataFrame;
  const hour = range('now-1h', 'now');
  const cases: Array<{ name: string; maxDataPoints?: number; rows: number; range: TimeRange; want: { maxLength: number; maxDelta?: number } }> = [
    { name: 'maxDataPoints when the first answer is smaller', maxDataPoints: 300, rows: 120, range: hour, want: { maxLength: 300, maxDelta: 3_600_000 } },
    { name: 'the first answer when it is larger, so it is not cut', maxDataPoints: 300, rows: 3600, range: hour, want: { maxLength: 3600, maxDelta: 3_600_000 } },
    { name: "Grafana's 500 without maxDataPoints", rows: 10, range: hour, want: { maxLength: 500, maxDelta: 3_600_000 } },
    { name: 'no time bound for a range in the past', maxDataPoints: 300, rows: 10, range: range('now-2h', 'now-1h'), want: { maxLength: 300 } },
  ];
  it.each(cases)('$name', ({ maxDataPoints, rows, range: r, want }) => {
    const got = liveBuffer(request<Query>([{ target: 'cpu' }], { maxDataPoints, range: r }), frame(rows));
    expect(got).toEqual({ action: StreamingFrameAction.Append, ...want });
  });
});

describe('a live query through Grafana Live', () => {
  it('subscribes to the channel of each query of a split, answers under the saved refId, and keeps the streaming frame', async () => {
    const subscriptions = fakeLive();
    liveBackend();
    const responses = newDatasource().query(request([{ target: '$metrics', live: true }], { maxDataPoints: 100 }));
    const got = firstValueFrom(responses.pipe(take(3), toArray()));
    // Both subscriptions exist once the query has run; one new row arrives on the first.
    await new Promise((r) => setTimeout(r, 0));
    expect(subscriptions.map((s) => s.options.addr)).toEqual([
      { scope: 'ds', stream: 'inhouse-uid', path: 'live/cpu-hash' },
      { scope: 'ds', stream: 'inhouse-uid', path: 'live/mem-hash' },
    ]);
    expect(subscriptions[0].options.buffer).toMatchObject({ action: StreamingFrameAction.Append, maxLength: 100, maxDelta: 3_600_000 });
    subscriptions[0].packets.next({ data: { values: [[T0 + 2000], [3]] } });
    const [, second, last] = await got;
    const [split] = second.data as DataFrame[];
    expect([split.fields[1].name, split.refId, split instanceof StreamingDataFrame]).toEqual(['mem{host=web-1}', 'A', true]);
    expect(last.state).toBe(LoadingState.Streaming);
    const [frame] = last.data as DataFrame[];
    expect(frame).toBeInstanceOf(StreamingDataFrame);
    expect(frame.refId).toBe('A');
    expect(frame.fields[0].values).toEqual([T0, T0 + 1000, T0 + 2000]);
  });
});
