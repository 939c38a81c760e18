// Grafana Live as Grafana's frontend offers it to data sources, over the
// host's Server-Sent Events endpoint instead of Grafana's websocket: Grafana's
// part, not the plugin's, so it lives in the host page only.
import {
  DataFrameJSON,
  DataQueryResponse,
  LiveChannelAddress,
  LoadingState,
  StreamingDataFrame,
  toLiveChannelId,
} from '@grafana/data';
import { GrafanaLiveSrv, LiveDataStreamOptions } from '@grafana/runtime';
import { Observable, of, throwError } from 'rxjs';

/** What the service needs of the browser's EventSource, so a test can hand in its own. */
export interface EventSourceLike {
  readonly readyState: number;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: Event) => void) | null;
  close(): void;
}

const CLOSED = 2;

export const streamURL = (addr: LiveChannelAddress) => `/api/live/stream?channel=${encodeURIComponent(toLiveChannelId(addr))}`;

/**
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

  return {
    getConnectionState: () => of(true),
    getDataStream,
    getStream: () => throwError(() => new Error('the host page streams data frames only')),
    getPresence: () => Promise.reject(new Error('the host page has no presence')),
    publish: () => Promise.reject(new Error('clients never publish to this plugin')),
  };
}
