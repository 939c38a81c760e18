import { CoreApp, DataQueryRequest, DataQueryResponse, dateTime, TimeRange } from '@grafana/data';
import { lastValueFrom, Observable } from 'rxjs';

import { Query } from '../types';
import { installBackend, ResourceCall } from './backendSrv';

/** A query request as a dashboard sends it, over the last hour unless told. */
export function request<Q extends Query>(targets: Array<Partial<Q>>, over: Partial<DataQueryRequest<Q>> = {}): DataQueryRequest<Q> {
  const now = dateTime();
  const range: TimeRange = { from: dateTime(now).subtract(1, 'hour'), to: now, raw: { from: 'now-1h', to: 'now' } };
  return {
    app: CoreApp.Dashboard,
    requestId: 'r',
    timezone: 'utc',
    range,
    interval: '1m',
    intervalMs: 60000,
    maxDataPoints: 100,
    scopedVars: {},
    startTime: 0,
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), ...t }) as Q),
    ...over,
  };
}

/**
 * Answers Grafana's data source query route as the backend does: one frame per query, named
 * after its target (or its query text), and an error for the target
 * "broken". Returns every query the backend received.
 */
export function queryBackend(): Query[] {
  const received: Query[] = [];
  installBackend((call: ResourceCall) => {
    const queries = (call.data as { queries: Query[] }).queries;
    received.push(...queries);
    const results = Object.fromEntries(
      queries.map((q) => [
        q.refId,
        q.target === 'broken'
          ? { error: 'the service answered 500', status: 500 }
          : { frames: [{ schema: { name: q.target ?? q.query, fields: [{ name: 'value', type: 'number' }] }, data: { values: [[1]] } }] },
      ])
    );
    return { status: 200, data: { results } };
  });
  return received;
}

export const answer = (o: Observable<DataQueryResponse>) => lastValueFrom(o) as Promise<DataQueryResponse>;
