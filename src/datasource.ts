import {
  CoreApp,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv, isExpressionReference, TemplateSrv } from '@grafana/runtime';
import { map, Observable, of } from 'rxjs';

import { Interpolator } from './interpolate';
import { RESOURCE_METRIC_PAYLOAD_OPTIONS, RESOURCE_METRICS } from './names';
import { errorMessage } from './payload';
import { DEFAULT_QUERY, JsonData, Metric, PayloadValue, Query, SelectOption } from './types';

export class DataSource extends DataSourceWithBackend<Query, JsonData> {
  private readonly interpolator: Interpolator;
  // Queries query() has already interpolated (one per value of a splitting
  // variable); applyTemplateVariables must not interpolate them twice.
  private readonly interpolated = new WeakSet<Query>();

  constructor(
    instanceSettings: DataSourceInstanceSettings<JsonData>,
    private readonly templateSrv: TemplateSrv = getTemplateSrv()
  ) {
    super(instanceSettings);
    this.interpolator = new Interpolator(templateSrv);
    // Standard annotation support: annotation queries use the query editor
    // and run through the backend like any query; Grafana maps the answer's
    // time and text columns (a table metric such as deployments) to events.
    this.annotations = {};
  }

  getDefaultQuery(_app: CoreApp): Partial<Query> {
    return DEFAULT_QUERY;
  }

  /** Hidden queries and queries without a metric never reach the backend. */
  filterQuery(query: Query): boolean {
    return !query.hide && typeof query.target === 'string' && query.target.trim() !== '';
  }

  /**
   * Sends one backend query per value of a variable that splits a query
   * (see Interpolator), and hands the answers back under the saved query's
   * refId, so the panel, its transformations and expressions see one query.
   */
  query(request: DataQueryRequest<Query>): Observable<DataQueryResponse> {
    const errors: DataQueryError[] = [];
    const targets: Query[] = [];
    const savedRefId = new Map<string, string>();
    const taken = new Set(request.targets.map((t) => t.refId));
    for (const saved of request.targets) {
      // Server-side expressions are the backend's to run, as sent.
      if (isExpressionReference(saved.datasource)) {
        targets.push(saved);
        continue;
      }
      if (!this.filterQuery(saved)) {
        continue;
      }
      let queries: Query[];
      try {
        queries = this.interpolator.expand(saved, request.scopedVars);
      } catch (e) {
        errors.push({ refId: saved.refId, message: errorMessage(e) });
        continue;
      }
      queries.forEach((q, i) => {
        const concrete = { ...q, refId: i === 0 ? saved.refId : freeRefId(saved.refId, taken) };
        this.interpolated.add(concrete);
        savedRefId.set(concrete.refId, saved.refId);
        targets.push(concrete);
      });
    }
    if (targets.length === 0) {
      return of({ data: [], errors: errors.length ? errors : undefined });
    }
    const back = <T extends { refId?: string }>(x: T): T =>
      x.refId !== undefined && savedRefId.has(x.refId) ? { ...x, refId: savedRefId.get(x.refId) } : x;
    return super.query({ ...request, targets }).pipe(
      map((res) => ({
        ...res,
        data: res.data.map(back),
        error: res.error ? back(res.error) : undefined,
        errors: res.errors || errors.length ? [...(res.errors ?? []).map(back), ...errors] : undefined,
      }))
    );
  }

  applyTemplateVariables(query: Query, scopedVars: ScopedVars): Query {
    if (this.interpolated.has(query)) {
      return query;
    }
    // Outside query() a query cannot become several; it takes the first
    // value of a splitting variable.
    try {
      return this.interpolator.expand(query, scopedVars)[0] ?? query;
    } catch {
      return query;
    }
  }

  /** Explore from a panel: every query interpolated, one per value of a splitting variable. */
  interpolateVariablesInQueries(queries: Query[], scopedVars: ScopedVars): Query[] {
    const taken = new Set(queries.map((q) => q.refId));
    return queries.flatMap((saved) => {
      try {
        return this.interpolator.expand(saved, scopedVars).map((q, i) => ({
          ...q,
          refId: i === 0 ? saved.refId : freeRefId(saved.refId, taken),
          datasource: this.getRef(),
        }));
      } catch {
        return [saved];
      }
    });
  }

  /** Query history and collapsed query rows: the metric, then what shapes it. */
  getQueryDisplayText(query: Query): string {
    const parts = [query.target || '(no metric)'];
    const payload = typeof query.payload === 'string' ? query.payload.trim() : JSON.stringify(query.payload ?? {});
    if (payload !== '' && payload !== '{}') {
      parts.push(payload);
    }
    if ((query.format ?? (query.type === 'table' ? 'table' : 'time_series')) === 'table') {
      parts.push('as table');
    }
    const legend = query.alias ?? query.legendFormat;
    if (legend) {
      parts.push(`legend "${legend}"`);
    }
    return parts.join(' ');
  }

  /** The metric the editor looks payload fields up by: a variable's value, the first of several. */
  resolveMetric(target: string | undefined): string {
    return target ? this.interpolator.first({ target }).target : '';
  }

  /** Metrics the service offers, with the payload fields each one takes (backend resource RESOURCE_METRICS). */
  async getMetrics(metric?: string, payload?: Record<string, PayloadValue>): Promise<Metric[]> {
    const body = this.interpolator.first({ target: metric ?? '', payload: payload ?? {} });
    const answer = await this.postResource<Metric[] | null>(RESOURCE_METRICS, { metric: body.target, payload: body.payload });
    return Array.isArray(answer) ? answer : [];
  }

  /** Options of one payload field, for fields whose definition lists none (backend resource RESOURCE_METRIC_PAYLOAD_OPTIONS). */
  async getPayloadOptions(
    metric: string,
    name: string,
    payload: Record<string, PayloadValue>
  ): Promise<SelectOption[]> {
    const body = this.interpolator.first({ target: metric, payload });
    const answer = await this.postResource<SelectOption[] | null>(RESOURCE_METRIC_PAYLOAD_OPTIONS, {
      metric: body.target,
      name,
      payload: body.payload,
    });
    return Array.isArray(answer) ? answer : [];
  }

  /** Variable names offered next to real values in pickers, as "$name"; read on every call, so a new variable shows. */
  variableNames(): string[] {
    return this.templateSrv.getVariables().map((v) => `$${v.name}`);
  }
}

/** A refId no other query of the request has, for the second and later queries of a split. */
function freeRefId(refId: string, taken: Set<string>): string {
  let n = 2;
  while (taken.has(`${refId}-${n}`)) {
    n++;
  }
  const id = `${refId}-${n}`;
  taken.add(id);
  return id;
}
