import { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { lastValueFrom, Observable } from 'rxjs';

/**
 * The part of Grafana's backend service that data source classes use:
 * fetch() as an Observable that fails with a FetchError-shaped value on
 * HTTP errors, so DataSourceWithBackend runs unchanged.
 */
export function browserBackendSrv(): BackendSrv {
  const fetchObs = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable((subscriber) => {
      const abort = new AbortController();
      const query = options.params ? `?${new URLSearchParams(options.params as Record<string, string>)}` : '';
      fetch(options.url + query, {
        method: options.method ?? 'GET',
        headers: { 'Content-Type': 'application/json', ...(options.headers ?? {}) },
        body: options.data === undefined ? undefined : JSON.stringify(options.data),
        signal: abort.signal,
      })
        .then(async (res) => {
          const text = await res.text();
          let data: unknown = text;
          try {
            data = text === '' ? undefined : JSON.parse(text);
          } catch {
            // Not JSON: keep the text, as Grafana does.
          }
          const response = {
            data: data as T,
            status: res.status,
            statusText: res.statusText,
            ok: res.ok,
            headers: res.headers,
            url: res.url,
            type: res.type,
            redirected: res.redirected,
            config: options,
          };
          if (!res.ok) {
            subscriber.error({ ...response, data } as FetchError);
            return;
          }
          subscriber.next(response);
          subscriber.complete();
        })
        .catch((e) => subscriber.error(e));
      return () => abort.abort();
    });

  const request = async <T>(options: BackendSrvRequest) => (await lastValueFrom(fetchObs<T>(options))).data;
  return {
    fetch: fetchObs,
    request,
    datasourceRequest: (options: BackendSrvRequest) => lastValueFrom(fetchObs(options)),
    get: (url: string, params?: Record<string, string>) => request({ url, params, method: 'GET' }),
    post: (url: string, data?: unknown) => request({ url, data, method: 'POST' }),
    put: (url: string, data?: unknown) => request({ url, data, method: 'PUT' }),
    patch: (url: string, data?: unknown) => request({ url, data, method: 'PATCH' }),
    delete: (url: string) => request({ url, method: 'DELETE' }),
    chunked: () => {
      throw new Error('chunked requests are not part of this host');
    },
    resolveCancelerIfExists: () => {},
  } as unknown as BackendSrv;
}
