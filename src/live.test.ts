import {
  DataFrame,
  DataFrameJSON,
  DataQueryResponse,
  dateTime,
  FieldType,
  CoreApp,
  LiveChannelAddress,
  LiveChannelConnectionState,
  LiveChannelEvent,
  LiveChannelEventType,
  LoadingState,
  StreamingDataFrame,
  StreamingFrameAction,
  TimeRange,
} from '@grafana/data';
import { GrafanaLiveSrv, setGrafanaLiveSrv } from '@grafana/runtime';
import { firstValueFrom, map, Observable, Subject, take, toArray } from 'rxjs';

import { DataSource, liveBuffer, rangeIncludesNow } from './datasource';
import { dropHeld } from './live';
import { installBackend } from './test/backendSrv';
import { instanceSettings } from './test/instance';
import { request } from './test/query';
import { fakeTemplateSrv } from './test/templateSrv';
import { Query } from './types';

const newDatasource = (multiValue?: string) =>
  new DataSource(instanceSettings({ multiValue }), fakeTemplateSrv({ metrics: ['cpu', 'mem'], host: 'web-1' }));

function range(from: string, to: string, spanMs = 3_600_000): TimeRange {
  const end = dateTime();
  return { from: dateTime(end.valueOf() - spanMs), to: end, raw: { from, to } };
}

const T0 = 1_700_000_000_000;

/** The backend's first answer to a live query: a wide frame with its channel and the query as subscription data, two rows. */
function liveFrame(q: Query): DataFrameJSON {
  return {
    schema: {
      refId: q.refId,
      name: q.target,
      meta: { custom: { live: { channel: `ds/inhouse-uid/live/${q.target}-hash`, data: q } } },
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
 * Grafana Live as the frontend sees it: getStream for each subscription,
 * with its address (the data included), fed the events the test sends.
 */
function fakeLive() {
  const subscriptions: Array<{ addr: LiveChannelAddress; events: Subject<LiveChannelEvent<DataFrameJSON>> }> = [];
  const live = {
    getStream: (addr: LiveChannelAddress) =>
      new Observable<LiveChannelEvent<DataFrameJSON>>((subscriber) => {
        const events = new Subject<LiveChannelEvent<DataFrameJSON>>();
        subscriptions.push({ addr, events });
        const sub = events.subscribe(subscriber);
        return () => sub.unsubscribe();
      }),
    getDataStream: () => {
      throw new Error('the data source subscribes with getStream and its data, not through the frame\'s meta.channel');
    },
  } as unknown as GrafanaLiveSrv;
  setGrafanaLiveSrv(live);
  return subscriptions;
}

const message = (p: DataFrameJSON): LiveChannelEvent<DataFrameJSON> => ({ type: LiveChannelEventType.Message, message: p });

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

  it('interpolateVariablesInQueries', () => {
    const got = newDatasource().interpolateVariablesInQueries([{ refId: 'A', target: '$metrics', live: true }], {});
    expect(got.map((q) => [q.refId, q.target, q.live])).toEqual([['A', '(cpu|mem)', true]]);
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
  it('subscribes to the channel of each query of a split with its query as data, answers under the saved refId, and keeps the streaming frame', async () => {
    const subscriptions = fakeLive();
    const received = liveBackend();
    const responses = newDatasource('split').query(request([{ target: '$metrics', live: true }], { maxDataPoints: 100 }));
    // Rows when each response arrived: the streaming frame grows in place.
    const got = firstValueFrom(
      responses.pipe(
        take(3),
        map((r) => ({ ...r, rows: (r.data[0] as DataFrame).length })),
        toArray()
      )
    );
    // Both subscriptions exist once the query has run; one new row arrives on the first.
    await new Promise((r) => setTimeout(r, 0));
    expect(subscriptions.map((s) => s.addr)).toEqual([
      { scope: 'ds', stream: 'inhouse-uid', path: 'live/cpu-hash', data: received[0] },
      { scope: 'ds', stream: 'inhouse-uid', path: 'live/mem-hash', data: received[1] },
    ]);
    subscriptions[0].events.next(message({ data: { values: [[T0 + 2000], [3]] } }));
    const [first, second, last] = await got;
    const [split] = second.data as DataFrame[];
    expect([split.fields[1].name, split.refId, split instanceof StreamingDataFrame]).toEqual(['mem{host=web-1}', 'A', true]);
    // The first answer shows first, before any packet.
    expect([first.rows, second.rows, last.rows]).toEqual([2, 2, 3]);
    expect(last.state).toBe(LoadingState.Streaming);
    const [frame] = last.data as DataFrame[];
    expect(frame).toBeInstanceOf(StreamingDataFrame);
    expect(frame.refId).toBe('A');
    expect(frame.fields[0].values).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect((frame as StreamingDataFrame).getOptions()).toMatchObject({ action: StreamingFrameAction.Append, maxLength: 100, maxDelta: 3_600_000 });
  });

  it('a query without live stays an ordinary answer, with no subscription', async () => {
    const subscriptions = fakeLive();
    liveBackend();
    const res = await firstValueFrom(newDatasource().query(request([{ target: 'cpu' }])));
    expect(subscriptions).toHaveLength(0);
    expect((res.data as DataFrame[])[0]).not.toBeInstanceOf(StreamingDataFrame);
  });

  // A stream run by a process that did not answer the query (a restarted
  // plugin, another replica) starts with the query's whole span: the
  // panel keeps each time once.
  const cases: Array<{ name: string; packets: DataFrameJSON[]; want: { Time: number[]; value: Array<number | undefined> } }> = [
    {
      name: 'a first packet that repeats the answer, then new rows',
      packets: [
        { schema: liveFrame({ refId: 'A', target: 'cpu' }).schema, data: { values: [[T0, T0 + 1000, T0 + 2000], [1, 2, 3]] } },
        { data: { values: [[T0 + 3000], [4]] } },
      ],
      want: { Time: [T0, T0 + 1000, T0 + 2000, T0 + 3000], value: [1, 2, 3, 4] },
    },
    {
      name: 'a packet of rows the panel holds only',
      packets: [{ data: { values: [[T0, T0 + 1000], [1, 2]] } }],
      want: { Time: [T0, T0 + 1000], value: [1, 2] },
    },
    {
      name: "the initial data of a joined stream (its schema) as Grafana's status event carries it",
      packets: [{ schema: liveFrame({ refId: 'A', target: 'cpu' }).schema }, { data: { values: [[T0 + 2000], [3]] } }],
      want: { Time: [T0, T0 + 1000, T0 + 2000], value: [1, 2, 3] },
    },
  ];
  it.each(cases)('$name', async ({ packets, want }) => {
    const subscriptions = fakeLive();
    liveBackend();
    let last: DataQueryResponse | undefined;
    newDatasource()
      .query(request([{ target: 'cpu', live: true }]))
      .subscribe((r) => (last = r));
    await new Promise((r) => setTimeout(r, 0));
    packets.forEach((p, i) =>
      subscriptions[0].events.next(
        i === 0 && !p.data ? { type: LiveChannelEventType.Status, id: 'x', timestamp: 0, state: LiveChannelConnectionState.Connected, message: p } : message(p)
      )
    );
    const [frame] = last!.data as DataFrame[];
    expect({ Time: [...frame.fields[0].values], value: [...frame.fields[1].values] }).toEqual(want);
  });

  it('shows a refused subscription as an error and keeps the answer', async () => {
    const subscriptions = fakeLive();
    liveBackend();
    let last: DataQueryResponse | undefined;
    newDatasource()
      .query(request([{ target: 'cpu', live: true }]))
      .subscribe((r) => (last = r));
    await new Promise((r) => setTimeout(r, 0));
    subscriptions[0].events.next({
      type: LiveChannelEventType.Status,
      id: 'x',
      timestamp: 0,
      state: LiveChannelConnectionState.Shutdown,
      error: new Error('permission denied'),
    });
    expect(last).toMatchObject({ state: LoadingState.Error, error: { message: expect.stringContaining('permission denied') } });
    expect((last!.data as DataFrame[])[0].fields[0].values).toEqual([T0, T0 + 1000]);
  });
});

describe('dropHeld', () => {
  const schema = { fields: [{ name: 'Time', type: FieldType.time }, { name: 'v', type: FieldType.number }] };
  const cases: Array<{ name: string; packet: DataFrameJSON; newest?: number; want: DataFrameJSON | undefined }> = [
    { name: 'nothing held yet', packet: { data: { values: [[1, 2], [10, 20]] } }, newest: undefined, want: { data: { values: [[1, 2], [10, 20]] } } },
    { name: 'all new', packet: { data: { values: [[3, 4], [30, 40]] } }, newest: 2, want: { data: { values: [[3, 4], [30, 40]] } } },
    { name: 'the held rows go', packet: { data: { values: [[1, 2, 3], [10, 20, 30]] } }, newest: 2, want: { data: { values: [[3], [30]] } } },
    { name: 'all held, data only: nothing', packet: { data: { values: [[1, 2], [10, 20]] } }, newest: 2, want: undefined },
    { name: 'all held, with a schema: the schema', packet: { schema, data: { values: [[1, 2], [10, 20]] } }, newest: 2, want: { schema } },
    {
      name: "Go's entities and nanos move with their rows",
      packet: { data: { values: [[1, 2, 3], [null, 20, null]], entities: [null, { NaN: [0, 2] }], nanos: [[1, 2, 3], null] } },
      newest: 1,
      want: { data: { values: [[2, 3], [20, null]], entities: [null, { NaN: [1] }], nanos: [[2, 3], null] } },
    },
  ];
  it.each(cases)('$name', ({ packet, newest, want }) => {
    expect(dropHeld(packet, newest, 0)).toEqual(want);
  });
});
