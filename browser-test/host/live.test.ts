import {
  DataFrame,
  DataFrameJSON,
  DataQueryResponse,
  FieldType,
  LiveChannelConnectionState,
  LiveChannelEvent,
  LiveChannelEventType,
  LiveChannelScope,
  LoadingState,
  StreamingFrameAction,
} from '@grafana/data';
import { LiveDataStreamOptions } from '@grafana/runtime';

import { eventSourceLiveSrv, EventSourceLike } from './live';

class FakeEventSource implements EventSourceLike {
  readyState = 1;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  send(packet: DataFrameJSON) {
    this.onmessage?.({ data: JSON.stringify(packet) } as MessageEvent);
  }
  fail(readyState: number) {
    this.readyState = readyState;
    this.onerror?.(new Event('error'));
  }
  close() {
    this.closed = true;
  }
}

const T0 = 1_700_000_000_000;

const schema = (...series: string[]) => ({
  refId: 'A',
  fields: [{ name: 'Time', type: FieldType.time }, ...series.map((name) => ({ name, type: FieldType.number }))],
});

/** The query's first answer: series a, times T0 and T0+1s. A new one each time: the frame takes its arrays over. */
const first = (): DataFrameJSON => ({ schema: schema('a'), data: { values: [[T0, T0 + 1000], [1, 2]] } });

function subscribe(options: Partial<LiveDataStreamOptions> = {}) {
  const sources: FakeEventSource[] = [];
  const live = eventSourceLiveSrv((url) => {
    const s = new FakeEventSource(url);
    sources.push(s);
    return s;
  });
  const responses: DataQueryResponse[] = [];
  const sub = live
    .getDataStream({
      addr: { scope: LiveChannelScope.DataSource, stream: 'inhouse', path: 'live/abc_-DEF' },
      frame: first(),
      buffer: { action: StreamingFrameAction.Append, maxLength: 100 },
      ...options,
    })
    .subscribe({ next: (r) => responses.push(r) });
  const frame = () => responses[responses.length - 1].data[0] as DataFrame;
  const columns = () => Object.fromEntries(frame().fields.map((f) => [f.name, [...f.values]]));
  return { source: sources[0], responses, sub, frame, columns };
}

it('opens the channel on the host endpoint and starts from the query frame', () => {
  const s = subscribe();
  expect(s.source.url).toBe('/api/live/stream?channel=ds%2Finhouse%2Flive%2Fabc_-DEF');
  expect(s.responses.map((r) => r.state)).toEqual([LoadingState.Streaming]);
  expect(s.columns()).toEqual({ Time: [T0, T0 + 1000], a: [1, 2] });
});

describe('packets', () => {
  const cases: Array<{ name: string; packets: DataFrameJSON[]; maxLength?: number; want: Record<string, unknown[]> }> = [
    {
      name: 'data appends column by column',
      packets: [{ data: { values: [[T0 + 2000, T0 + 3000], [3, 4]] } }],
      want: { Time: [T0, T0 + 1000, T0 + 2000, T0 + 3000], a: [1, 2, 3, 4] },
    },
    {
      name: 'the schema alone (a subscriber joining) changes nothing',
      packets: [{ schema: schema('a') }, { data: { values: [[T0 + 2000], [3]] } }],
      want: { Time: [T0, T0 + 1000, T0 + 2000], a: [1, 2, 3] },
    },
    {
      name: 'a new schema keeps the values of fields of the same name; a new series starts empty',
      packets: [{ schema: schema('a', 'b'), data: { values: [[T0 + 2000], [3], [30]] } }],
      want: { Time: [T0, T0 + 1000, T0 + 2000], a: [1, 2, 3], b: [undefined, undefined, 30] },
    },
    {
      name: 'a series that goes leaves with its values',
      packets: [{ schema: schema('b'), data: { values: [[T0 + 2000], [30]] } }],
      want: { Time: [T0, T0 + 1000, T0 + 2000], b: [undefined, undefined, 30] },
    },
    {
      name: 'maxLength bounds the rows, the oldest go',
      maxLength: 3,
      packets: [{ data: { values: [[T0 + 2000, T0 + 3000], [3, 4]] } }],
      want: { Time: [T0 + 1000, T0 + 2000, T0 + 3000], a: [2, 3, 4] },
    },
    {
      name: "Go's entities for values JSON has no number for",
      packets: [{ data: { values: [[T0 + 2000], [null]], entities: [null, { NaN: [0] }] } }],
      want: { Time: [T0, T0 + 1000, T0 + 2000], a: [1, 2, NaN] },
    },
  ];
  it.each(cases)('$name', ({ packets, maxLength, want }) => {
    const s = subscribe(maxLength ? { buffer: { action: StreamingFrameAction.Append, maxLength } } : {});
    packets.forEach((p) => s.source.send(p));
    expect(s.columns()).toEqual(want);
    expect(s.responses).toHaveLength(1 + packets.length);
    expect(s.responses.every((r) => r.state === LoadingState.Streaming)).toBe(true);
  });
});

describe('getStream', () => {
  function stream(data?: unknown) {
    const sources: FakeEventSource[] = [];
    const live = eventSourceLiveSrv((url) => {
      const s = new FakeEventSource(url);
      sources.push(s);
      return s;
    });
    const events: Array<LiveChannelEvent<DataFrameJSON>> = [];
    let done = false;
    const sub = live
      .getStream<DataFrameJSON>({ scope: LiveChannelScope.DataSource, stream: 'inhouse', path: 'live/abc_-DEF', data })
      .subscribe({ next: (e) => events.push(e), complete: () => (done = true) });
    return { source: sources[0], events, sub, done: () => done };
  }

  it('carries the address data to the host, which passes it to the plugin', () => {
    const s = stream({ target: 'cpu', live: true });
    expect(s.source.url).toBe(
      `/api/live/stream?channel=ds%2Finhouse%2Flive%2Fabc_-DEF&data=${encodeURIComponent('{"target":"cpu","live":true}')}`
    );
  });

  it('delivers each packet as a message, a refusal as a status with the error, then ends', () => {
    const s = stream({});
    s.source.send({ data: { values: [[T0], [1]] } });
    s.source.fail(0); // CONNECTING: the browser retries
    s.source.fail(2);
    expect(s.events[0]).toEqual({ type: LiveChannelEventType.Message, message: { data: { values: [[T0], [1]] } } });
    expect(s.events[1]).toMatchObject({ type: LiveChannelEventType.Status, state: LiveChannelConnectionState.Shutdown });
    expect(String((s.events[1] as { error?: unknown }).error)).toContain('refused or ended');
    expect(s.events).toHaveLength(2);
    expect(s.done()).toBe(true);
    s.sub.unsubscribe();
    expect(s.source.closed).toBe(true);
  });
});

it('closes the event source when the panel unsubscribes', () => {
  const s = subscribe();
  s.sub.unsubscribe();
  expect(s.source.closed).toBe(true);
});

it('reports a refused channel and ends, but waits out a dropped connection', () => {
  const s = subscribe();
  s.source.fail(0); // CONNECTING: the browser retries
  expect(s.responses).toHaveLength(1);
  s.source.fail(2); // CLOSED: refused
  expect(s.responses[1]).toMatchObject({ state: LoadingState.Error, error: { message: expect.stringContaining('ds/inhouse/live/abc_-DEF') } });
  expect(s.sub.closed).toBe(true);
});

it('reports a packet that is not a frame, and keeps streaming', () => {
  const s = subscribe();
  s.source.onmessage?.({ data: '{"data": ' } as MessageEvent);
  expect(s.responses[1].state).toBe(LoadingState.Error);
  s.source.send({ data: { values: [[T0 + 2000], [3]] } });
  expect(s.responses[2].state).toBe(LoadingState.Streaming);
  expect(s.columns()).toEqual({ Time: [T0, T0 + 1000, T0 + 2000], a: [1, 2, 3] });
});
