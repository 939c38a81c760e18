import {
  AdHocVariableFilter,
  AppEvents,
  CoreApp,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceGetTagKeysOptions,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  MetricFindValue,
  ScopedVars,
  StreamingFrameAction,
  StreamingFrameOptions,
  TimeRange,
} from '@grafana/data';
import {
  DataSourceWithBackend,
  getAppEvents,
  getTemplateSrv,
  StreamOptionsProvider,
  TemplateSrv,
} from '@grafana/runtime';
import { map, mergeMap, Observable, of } from 'rxjs';

import { multiValueAsRegex } from './adhocMulti';
import { isAnnotationQuery } from './annotationQuery';
import { annotationSupport } from './annotations';
import { Interpolator } from './interpolate';
import { toLiveResponse } from './live';
import {
  QUERY_TYPE_VARIABLE,
  RESOURCE_METRIC_PAYLOAD_OPTIONS,
  RESOURCE_METRICS,
  RESOURCE_TAG_KEYS,
  RESOURCE_TAG_VALUES,
} from './names';
import { errorMessage } from './payload';
import { multiValueMode } from './settings';
import { AdhocFilter, DEFAULT_QUERY, JsonData, Metric, PayloadValue, Query, queryFormat, RangeRaw, SelectOption } from './types';
import { VariableSupport } from './variables';

/** What the user is told, once, when the service lists no ad hoc filter keys. */
export const NO_TAG_KEYS = {
  title: 'In-house Metrics: no ad hoc filter keys',
  text: 'The service answered an empty list of tag keys (or has no /tag-keys endpoint), so ad hoc filters have no key to offer and panels of this data source are not filtered. Add /tag-keys and /tag-values to the service to filter by tags.',
};

export class DataSource extends DataSourceWithBackend<Query, JsonData> {
  private readonly interpolator: Interpolator;
  // Queries query() has already interpolated (one per value of a splitting
  // variable); applyTemplateVariables must not interpolate them twice.
  private readonly interpolated = new WeakSet<Query>();

  constructor(
    readonly instanceSettings: DataSourceInstanceSettings<JsonData>,
    private readonly templateSrv: TemplateSrv = getTemplateSrv()
  ) {
    super(instanceSettings);
    this.interpolator = new Interpolator(templateSrv, multiValueMode(instanceSettings.jsonData));
    this.annotations = annotationSupport();
    this.variables = new VariableSupport(this);
  }

  // One hint per data source instance: getTagKeys runs each time the ad hoc
  // filter's key menu opens.
  private toldNoTagKeys = false;

  getDefaultQuery(_app: CoreApp): Partial<Query> {
    return DEFAULT_QUERY;
  }

  /**
   * Hidden queries and queries without a metric never reach the backend.
   * A variable query always does (an empty one lists everything), and so
   * does a SimpleJSON annotation, which has query text instead of a metric.
   */
  filterQuery(query: Query): boolean {
    if (query.hide) {
      return false;
    }
    if (query.queryType === QUERY_TYPE_VARIABLE) {
      return true;
    }
    const hasMetric = typeof query.target === 'string' && query.target.trim() !== '';
    return hasMetric || (isAnnotationQuery(query) && typeof query.query === 'string');
  }

  /**
   * Sends each saved query interpolated (see Interpolator): one backend
   * query in the regex mode; in the split mode one per value of a variable
   * that splits it, whose answers go back under the saved query's refId, so
   * the panel and its transformations see one query. Requests with a
   * server-side expression never come here: Grafana sends them to the
   * expression engine, which calls interpolateVariablesInQueries.
   */
  query(request: DataQueryRequest<Query>): Observable<DataQueryResponse> {
    const rangeRaw = relativeRange(request.range);
    const errors: DataQueryError[] = [];
    const targets: Query[] = [];
    const savedRefId = new Map<string, string>();
    const taken = new Set(request.targets.map((t) => t.refId));
    for (const saved of request.targets) {
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
        const concrete: Query = { ...q, refId: i === 0 ? saved.refId : freeRefId(saved.refId, taken) };
        if (rangeRaw) {
          concrete.rangeRaw = rangeRaw;
        }
        if (concrete.live && !(queryFormat(concrete) === 'time_series' && rangeIncludesNow(request.range))) {
          delete concrete.live;
        }
        this.interpolated.add(concrete);
        savedRefId.set(concrete.refId, saved.refId);
        targets.push(concrete);
      });
    }
    if (targets.length === 0) {
      return of({ data: [], errors: errors.length ? errors : undefined });
    }
    const back = <T extends { refId?: string }>(x: T): T => {
      const refId = x.refId === undefined ? undefined : savedRefId.get(x.refId);
      return refId === undefined || refId === x.refId ? x : withRefId(x, refId);
    };
    // A live query's frame names its channel and subscription data in
    // meta.custom.live (see live.ts): this data source subscribes itself,
    // with the data, as Grafana's own Loki data source does.
    return super.query({ ...request, targets }).pipe(
      mergeMap((res) => toLiveResponse(res, (frame) => liveBuffer(request, frame))),
      map((res) => ({
        ...res,
        data: res.data.map(back),
        error: res.error ? back(res.error) : undefined,
        errors: res.errors || errors.length ? [...(res.errors ?? []).map(back), ...errors] : undefined,
      }))
    );
  }

  /**
   * The query as the backend gets it: interpolated (unless query() already
   * did), with the dashboard's ad hoc filters as `adhocFilters`, variables
   * in their values replaced.
   */
  applyTemplateVariables(query: Query, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): Query {
    // Outside query() a query cannot become several (see single).
    const out = this.interpolated.has(query) ? query : this.single(query, scopedVars);
    return this.withFilters(out, filters, scopedVars);
  }

  /**
   * Explore opened from a panel and server-side expressions call this with
   * one query at a time and keep only the first query returned, so each
   * query comes back as exactly one: in the regex mode the query that
   * query() sends; in the split mode the first value's, since a query per
   * value would be dropped there.
   */
  interpolateVariablesInQueries(queries: Query[], scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): Query[] {
    return queries.map((saved) => {
      const out = this.single(saved, scopedVars);
      return this.withFilters({ ...out, refId: saved.refId, datasource: this.getRef() }, filters, scopedVars);
    });
  }

  /**
   * The one query a saved query becomes for a caller that keeps one. A
   * multi-select entry past its limit, or nothing selected in the split
   * mode, leaves the saved query as it is: the caller needs a query.
   */
  private single(saved: Query, scopedVars: ScopedVars): Query {
    try {
      return this.interpolator.single(saved, scopedVars) ?? saved;
    } catch {
      return saved;
    }
  }

  private withFilters(query: Query, filters: AdHocVariableFilter[] | undefined, scopedVars: ScopedVars): Query {
    const adhocFilters = this.interpolator.filters(multiValueAsRegex(filters), scopedVars);
    return adhocFilters.length > 0 ? { ...query, adhocFilters } : query;
  }

  /** Keys for ad hoc filters (backend resource RESOURCE_TAG_KEYS); an empty list is told to the user once. */
  async getTagKeys(options?: Partial<Pick<DataSourceGetTagKeysOptions<Query>, 'filters' | 'timeRange'>>): Promise<MetricFindValue[]> {
    const keys = toMetricFindValues(await this.postResource<unknown>(RESOURCE_TAG_KEYS, this.tagContext(options)));
    if (keys.length === 0 && !this.toldNoTagKeys) {
      this.toldNoTagKeys = true;
      getAppEvents()?.publish({ type: AppEvents.alertWarning.name, payload: [NO_TAG_KEYS.title, NO_TAG_KEYS.text] });
    }
    return keys;
  }

  /** Values of one ad hoc filter key (backend resource RESOURCE_TAG_VALUES). */
  async getTagValues(
    options: Pick<DataSourceGetTagValuesOptions<Query>, 'key'> & Partial<Pick<DataSourceGetTagValuesOptions<Query>, 'filters' | 'timeRange'>>
  ): Promise<MetricFindValue[]> {
    return toMetricFindValues(await this.postResource<unknown>(RESOURCE_TAG_VALUES, { key: options.key, ...this.tagContext(options) }));
  }

  /**
   * The dashboard's range and its other ad hoc filters, which the tag routes
   * pass on so a service can offer only what has data (simPod's data source
   * posts them too); each is left out when Grafana gives none.
   */
  private tagContext(options?: Partial<Pick<DataSourceGetTagKeysOptions<Query>, 'filters' | 'timeRange'>>): TagContext {
    const out: TagContext = {};
    const range = options?.timeRange;
    if (range) {
      const from = range.from.toISOString();
      const to = range.to.toISOString();
      out.range = { from, to, raw: relativeRange(range) ?? { from, to } };
    }
    const adhocFilters = this.interpolator.filters(options?.filters, {});
    if (adhocFilters.length > 0) {
      out.adhocFilters = adhocFilters;
    }
    return out;
  }

  /** Query history and collapsed query rows: the metric, then what shapes it. */
  getQueryDisplayText(query: Query): string {
    // Variable queries in the JSON datasource's model and SimpleJSON annotations are their text.
    if (!query.target && typeof query.query === 'string') {
      return query.query || '(empty query)';
    }
    const parts = [query.target || '(no metric)'];
    const payload = typeof query.payload === 'string' ? query.payload.trim() : JSON.stringify(query.payload ?? {});
    if (payload !== '' && payload !== '{}') {
      parts.push(payload);
    }
    if (queryFormat(query) === 'table') {
      parts.push('as table');
    } else if (query.live) {
      parts.push('live');
    }
    const legend = query.alias ?? query.legendFormat;
    if (legend) {
      parts.push(`legend "${legend}"`);
    }
    return parts.join(' ');
  }

  /** A variable query's text as its first query would send it, for the variable editor to check. */
  interpolatedText(query: Query): string | undefined {
    try {
      return this.interpolator.expand(query, {})[0]?.query;
    } catch {
      return query.query;
    }
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

/**
 * Grafana's buffer for a live query's frame. Grafana's standard options
 * keep maxDataPoints rows, but the first answer may hold more (a query
 * interval finer than span / maxDataPoints), and the first appended packet
 * would cut the panel's range short: the buffer holds at least the first
 * answer. Points older than the range's span fall off as new ones arrive.
 */
export const liveBuffer: StreamOptionsProvider<Query> = (request, frame) => {
  const options: Partial<StreamingFrameOptions> = {
    action: StreamingFrameAction.Append,
    maxLength: Math.max(request.maxDataPoints ?? 500, frame.length),
  };
  const { range } = request;
  if (rangeIncludesNow(range)) {
    options.maxDelta = range.to.valueOf() - range.from.valueOf();
  }
  return options;
};

// "now" or the end of the period now is in (now/d, now/w, ...): ranges that
// new points fall into. Any other end lies in the past, where a stream
// would only push the range's own points out.
const ENDS_NOW = /^now(\/[smhdwMy])?$/;

/** Whether the range reaches the present, so a live query can stream into it. */
export function rangeIncludesNow(range: TimeRange | undefined): boolean {
  const to = range?.raw?.to;
  return typeof to === 'string' && ENDS_NOW.test(to.trim());
}

/**
 * A copy with another refId that keeps the original's prototype: Grafana
 * tells a StreamingDataFrame by its class, which a spread would lose.
 */
function withRefId<T extends { refId?: string }>(x: T, refId: string): T {
  return Object.assign(Object.create(Object.getPrototypeOf(x)) as T, x, { refId });
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

/** What the tag routes carry besides the key (Go's contract.TagKeysRequest). */
interface TagContext {
  range?: { from: string; to: string; raw: RangeRaw };
  adhocFilters?: AdhocFilter[];
}

/** The range as the user picked it, when both ends are relative ("now-6h" to "now"); absolute ranges are DateTimes. */
function relativeRange(range: TimeRange | undefined): RangeRaw | undefined {
  const raw = range?.raw;
  return raw && typeof raw.from === 'string' && typeof raw.to === 'string' ? { from: raw.from, to: raw.to } : undefined;
}

/** The routes answer [{text, value}]; anything unusable in an entry is skipped rather than shown as a blank option. */
function toMetricFindValues(answer: unknown): MetricFindValue[] {
  if (!Array.isArray(answer)) {
    return [];
  }
  return answer.flatMap((e: unknown): MetricFindValue[] => {
    if (typeof e === 'string' || typeof e === 'number') {
      return [{ text: String(e), value: e }];
    }
    if (e && typeof e === 'object') {
      const { text, value } = e as { text?: unknown; value?: unknown };
      const shown = text ?? value;
      if (typeof shown === 'string' || typeof shown === 'number') {
        const v = typeof value === 'string' || typeof value === 'number' ? value : shown;
        return [{ text: String(shown), value: v }];
      }
    }
    return [];
  });
}
