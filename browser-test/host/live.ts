// Grafana Live as Grafana's frontend offers it to data sources, over the
// host's Server-Sent Events endpoint instead of Grafana's websocket: Grafana's
// part, not the plugin's, so it lives in the host page only.
import {
  DataFrameJSON,
  DataQueryResponse,
  LiveChannelAddress,
  LiveChannelConnectionState,
  LiveChannelEvent,
  LiveChannelEventType,
  LoadingState,
  StreamingDataFrame,
  toLiveChannelId,
} from '@grafana/data';
import { GrafanaLiveSrv, LiveDataStreamOptions } from '@grafana/runtime';
import { Observable, of } from 'rxjs';

/** What the service needs of the browser's EventSource, so a test can hand in its own. */
export interface EventSourceLike {
  readonly readyState: number;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: Event) => void) | null;
  close(): void;
}

const CLOSED = 2;

/** The host's stream of a channel; the address's data travels as JSON, as Grafana passes it to SubscribeStream and RunStream. */
export const streamURL = (addr: LiveChannelAddress) =>
  `/api/live/stream?channel=${encodeURIComponent(toLiveChannelId(addr))}` +
  (addr.data === undefined ? '' : `&data=${encodeURIComponent(JSON.stringify(addr.data))}`);

/**
 * The plugin subscribes with getStream and the address's data; getDataStream
 * (what Grafana does for a frame's meta.channel) stays for other callers.
 * getDataStream as Grafana's LiveDataStream answers it: a StreamingDataFrame
 * started from the query's own frame with the data source's buffer options,
 * each event's data.FrameJSON packet pushed into it (a schema replaces the
 * fields, keeping the values of fields of the same name; data appends,
 * bounded by maxLength and maxDelta), and one Streaming response per packet.
 */
export function eventSourceLiveSrv(open: (url: string) => EventSourceLike = (url) => new EventSource(url)): GrafanaLiveSrv {
  const getDataStream = (options: LiveDataStreamOptions): Observable<DataQueryResponse> =>
    new Observable<DataQueryResponse>((subscriber) => {
      const channel = toLiveChannelId(options.addr);
      const key = options.key ?? channel;
      const frame = options.frame ? StreamingDataFrame.fromDataFrameJSON(options.frame, options.buffer) : StreamingDataFrame.empty(options.buffer);
      const emit = () => subscriber.next({ key, state: LoadingState.Streaming, data: [frame] });
      emit();

      const source = open(streamURL(options.addr));
      source.onmessage = (e) => {
        let packet: DataFrameJSON;
        try {
          packet = JSON.parse(e.data) as DataFrameJSON;
          frame.push(packet);
        } catch (err) {
          subscriber.next({ key, state: LoadingState.Error, data: [frame], error: { message: `live channel ${channel}: ${String(err)}` } });
          return;
        }
        emit();
      };
      // A dropped connection is retried by the browser; a refusal (404, 403)
      // closes the source for good, as Grafana ends a refused subscription.
      source.onerror = () => {
        if (source.readyState === CLOSED) {
          subscriber.next({ key, state: LoadingState.Error, data: [frame], error: { message: `live channel ${channel}: the stream was refused or ended` } });
          subscriber.complete();
        }
      };
      return () => source.close();
    });

  /**
   * getStream as Grafana's channel answers it: a message event per packet
   * (the subscription's initial data among them), and a status event with
   * the error when the channel is refused or ends.
   */
  const getStream = <T>(addr: LiveChannelAddress): Observable<LiveChannelEvent<T>> =>
    new Observable<LiveChannelEvent<T>>((subscriber) => {
      const id = toLiveChannelId(addr);
      const status = (error: string): LiveChannelEvent<T> => ({
        type: LiveChannelEventType.Status,
        id,
        timestamp: Date.now(),
        state: LiveChannelConnectionState.Shutdown,
        error: new Error(error),
      });
      const source = open(streamURL(addr));
      source.onmessage = (e) => {
        let message: T;
        try {
          message = JSON.parse(e.data) as T;
        } catch (err) {
          subscriber.next(status(`live channel ${id}: ${String(err)}`));
          return;
        }
        subscriber.next({ type: LiveChannelEventType.Message, message });
      };
      source.onerror = () => {
        if (source.readyState === CLOSED) {
          subscriber.next(status(`live channel ${id}: the stream was refused or ended`));
          subscriber.complete();
        }
      };
      return () => source.close();
    });

  return {
    getConnectionState: () => of(true),
    getDataStream,
    getStream,
    getPresence: () => Promise.reject(new Error('the host page has no presence')),
    publish: () => Promise.reject(new Error('clients never publish to this plugin')),
  };
}
