import {
  DataFrame,
  DataFrameJSON,
  DataQueryResponse,
  dataFrameToJSON,
  FieldType,
  isLiveChannelMessageEvent,
  isLiveChannelStatusEvent,
  LiveChannelAddress,
  LoadingState,
  parseLiveChannelAddress,
  StreamingDataFrame,
  StreamingFrameOptions,
  toLiveChannelId,
} from '@grafana/data';
import { getGrafanaLiveSrv } from '@grafana/runtime';
import { merge, Observable, of } from 'rxjs';

/**
 * What the backend puts in a live query's frame, meta.custom.live: the
 * channel, and the subscription data, the query's model as the backend
 * received it. The backend keeps nothing of the query, so the
 * subscription must carry it: any plugin process (a restarted one,
 * another replica's) then serves the channel from the data alone, and
 * runs no other query on it. The channel is not in meta.channel, which
 * Grafana would subscribe to by itself, without the data.
 */
export interface LiveMeta {
  channel: string;
  data: unknown;
}

/** The live metadata of a frame of a live query's answer, if it has any. */
export function liveMetaOf(frame: DataFrame): LiveMeta | undefined {
  const live = (frame.meta?.custom as { live?: Partial<LiveMeta> } | undefined)?.live;
  return live && typeof live.channel === 'string' && live.data !== undefined ? { channel: live.channel, data: live.data } : undefined;
}

/**
 * Turns a query response into what the panel shows: its frames without
 * live metadata as they are, and each live frame as a stream of its own
 * that starts from the frame (the first answer shows first) and grows as
 * packets arrive, as Grafana's own streaming responses do.
 */
export function toLiveResponse(
  res: DataQueryResponse,
  buffer: (frame: DataFrame) => Partial<StreamingFrameOptions>
): Observable<DataQueryResponse> {
  const streams: Array<Observable<DataQueryResponse>> = [];
  const rest: DataFrame[] = [];
  for (const frame of res.data as DataFrame[]) {
    const meta = liveMetaOf(frame);
    const addr = meta && parseLiveChannelAddress(meta.channel);
    if (meta && addr) {
      streams.push(streamFrame(frame, { ...addr, data: meta.data }, buffer(frame)));
    } else {
      rest.push(frame);
    }
  }
  if (streams.length === 0) {
    return of(res);
  }
  if (rest.length > 0 || res.error || res.errors?.length) {
    streams.push(of({ ...res, data: rest }));
  }
  return streams.length === 1 ? streams[0] : merge(...streams);
}

/**
 * Subscribes to a live frame's channel with its data, as Grafana's Loki
 * frontend subscribes, and pushes each packet into a streaming frame that
 * starts from the answer. A packet's rows at or before the newest the
 * frame holds are dropped: a stream's first packet covers the query's
 * span, since a stream run by a process that did not answer the query (a
 * restarted plugin, another replica) does not know what the panel holds.
 */
function streamFrame(first: DataFrame, addr: LiveChannelAddress, buffer: Partial<StreamingFrameOptions>): Observable<DataQueryResponse> {
  return new Observable<DataQueryResponse>((subscriber) => {
    const key = toLiveChannelId(addr);
    const frame = StreamingDataFrame.fromDataFrameJSON(dataFrameToJSON(first), buffer);
    const emit = (error?: string) =>
      subscriber.next({ key, state: error ? LoadingState.Error : LoadingState.Streaming, data: [frame], error: error ? { message: error } : undefined });
    const push = (packet: DataFrameJSON) => {
      const fresh = dropHeld(packet, newestTime(frame), timeIndex(frame));
      if (fresh) {
        frame.push(fresh);
        emit();
      }
    };
    emit();
    const sub = getGrafanaLiveSrv()
      .getStream<DataFrameJSON>(addr)
      .subscribe({
        next: (evt) => {
          if (isLiveChannelMessageEvent(evt)) {
            push(evt.message);
          } else if (isLiveChannelStatusEvent(evt)) {
            if (evt.error) {
              emit(`live channel ${key}: ${errorText(evt.error)}`);
            } else if (evt.message) {
              // A subscriber joining a running stream: its current schema.
              push(evt.message as DataFrameJSON);
            }
          }
        },
        error: (err: unknown) => {
          emit(`live channel ${key}: ${errorText(err)}`);
          subscriber.complete();
        },
        complete: () => subscriber.complete(),
      });
    return () => sub.unsubscribe();
  });
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  if (err && typeof err === 'object' && 'message' in err) {
    return String((err as { message: unknown }).message);
  }
  return String(err);
}

function timeIndex(frame: DataFrame): number {
  return frame.fields.findIndex((f) => f.type === FieldType.time);
}

/** The newest time a frame holds: its time field's last value, as a stream appends in order. */
function newestTime(frame: DataFrame): number | undefined {
  const i = timeIndex(frame);
  const values = i < 0 ? [] : frame.fields[i].values;
  const last = values.length > 0 ? values[values.length - 1] : undefined;
  return typeof last === 'number' ? last : undefined;
}

/**
 * A packet without its rows at or before newest (epoch milliseconds), or
 * undefined when nothing of it is left: no schema and no row. fallbackTime
 * is the time field's position for a data-only packet.
 */
export function dropHeld(packet: DataFrameJSON, newest: number | undefined, fallbackTime: number): DataFrameJSON | undefined {
  const data = packet.data;
  if (!data || newest === undefined) {
    return packet;
  }
  const ti = packet.schema ? packet.schema.fields.findIndex((f) => f.type === FieldType.time) : fallbackTime;
  const times = ti >= 0 ? data.values[ti] : undefined;
  if (!times) {
    return packet;
  }
  let cut = 0;
  while (cut < times.length && typeof times[cut] === 'number' && (times[cut] as number) <= newest) {
    cut++;
  }
  if (cut === 0) {
    return packet;
  }
  if (cut === times.length) {
    return packet.schema ? { schema: packet.schema } : undefined;
  }
  return {
    ...packet,
    data: {
      ...data,
      values: data.values.map((v) => v.slice(cut)),
      nanos: data.nanos?.map((n) => (n ? n.slice(cut) : n)),
      entities: data.entities?.map((e) => {
        if (!e) {
          return e;
        }
        const shifted: Record<string, number[]> = {};
        for (const [kind, rows] of Object.entries(e) as Array<[string, number[] | undefined]>) {
          const kept = (rows ?? []).filter((r) => r >= cut).map((r) => r - cut);
          if (kept.length > 0) {
            shifted[kind] = kept;
          }
        }
        return shifted;
      }),
    },
  };
}
