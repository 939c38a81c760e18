import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv } from '@grafana/runtime';
import { Observable, of, throwError } from 'rxjs';

export interface ResourceCall {
  url: string;
  method?: string;
  data: unknown;
}

/**
 * Answers DataSourceWithBackend's fetch calls the way Grafana's backend
 * service does: the body on success, a FetchError-shaped value on failure.
 */
export function installBackend(answer: (call: ResourceCall) => { status: number; data: unknown }): ResourceCall[] {
  const calls: ResourceCall[] = [];
  const fetch = (req: BackendSrvRequest): Observable<FetchResponse> => {
    const call = { url: req.url, method: req.method, data: req.data };
    calls.push(call);
    const { status, data } = answer(call);
    if (status >= 400) {
      return throwError(() => ({ status, data, statusText: 'error', config: req }));
    }
    return of({ status, data, ok: true, config: req } as FetchResponse);
  };
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return calls;
}
