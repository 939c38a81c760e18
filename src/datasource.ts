import { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv, TemplateSrv } from '@grafana/runtime';

import { RESOURCE_METRIC_PAYLOAD_OPTIONS, RESOURCE_METRICS } from './names';
import { DEFAULT_QUERY, JsonData, Metric, PayloadScalar, PayloadValue, Query, SelectOption } from './types';

// A multi-value variable inside a multi-select payload field must become
// several list entries, not one comma-joined string. Its values are joined
// with a separator no variable value contains, then split again.
const LIST_SEPARATOR = '\u001f';

export class DataSource extends DataSourceWithBackend<Query, JsonData> {
  constructor(
    instanceSettings: DataSourceInstanceSettings<JsonData>,
    private readonly templateSrv: TemplateSrv = getTemplateSrv()
  ) {
    super(instanceSettings);
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

  applyTemplateVariables(query: Query, scopedVars: ScopedVars): Query {
    const replace = (text: string) => this.templateSrv.replace(text, scopedVars);
    return {
      ...query,
      target: query.target === undefined ? undefined : replace(query.target),
      alias: query.alias === undefined ? undefined : replace(query.alias),
      legendFormat: query.legendFormat === undefined ? undefined : replace(query.legendFormat),
      payload: this.interpolatePayload(query.payload, scopedVars),
    };
  }

  private interpolatePayload(
    payload: Query['payload'],
    scopedVars: ScopedVars
  ): Query['payload'] {
    if (payload === undefined) {
      return undefined;
    }
    if (typeof payload === 'string') {
      // The JSON datasource saved payloads as JSON text: "$region" must stay
      // a valid JSON string whatever the value holds, and a bare $hosts
      // with several values becomes a JSON list.
      return this.templateSrv.replace(payload, scopedVars, (v: string | string[]) =>
        Array.isArray(v) ? JSON.stringify(v) : JSON.stringify(String(v)).slice(1, -1)
      );
    }
    const out: Record<string, PayloadValue> = {};
    for (const [name, value] of Object.entries(payload)) {
      out[name] = this.interpolateValue(value, scopedVars);
    }
    return out;
  }

  private interpolateValue(value: PayloadValue, scopedVars: ScopedVars): PayloadValue {
    if (Array.isArray(value)) {
      return value.flatMap((item) => this.interpolateListItem(item, scopedVars));
    }
    return typeof value === 'string' ? this.templateSrv.replace(value, scopedVars) : value;
  }

  private interpolateListItem(item: PayloadScalar, scopedVars: ScopedVars): PayloadScalar[] {
    if (typeof item !== 'string') {
      return [item];
    }
    const joined = this.templateSrv.replace(item, scopedVars, (v: string | string[]) =>
      Array.isArray(v) ? v.join(LIST_SEPARATOR) : v
    );
    return joined.split(LIST_SEPARATOR);
  }

  /** Metrics the service offers, with the payload fields each one takes (backend resource RESOURCE_METRICS). */
  async getMetrics(metric?: string, payload?: Record<string, PayloadValue>): Promise<Metric[]> {
    const body = {
      metric: metric ? this.templateSrv.replace(metric) : '',
      payload: payload ? this.interpolatePayload(payload, {}) : {},
    };
    const answer = await this.postResource<Metric[] | null>(RESOURCE_METRICS, body);
    return Array.isArray(answer) ? answer : [];
  }

  /** Options of one payload field, for fields whose definition lists none (backend resource RESOURCE_METRIC_PAYLOAD_OPTIONS). */
  async getPayloadOptions(
    metric: string,
    name: string,
    payload: Record<string, PayloadValue>
  ): Promise<SelectOption[]> {
    const body = {
      metric: this.templateSrv.replace(metric),
      name,
      payload: this.interpolatePayload(payload, {}),
    };
    const answer = await this.postResource<SelectOption[] | null>(RESOURCE_METRIC_PAYLOAD_OPTIONS, body);
    return Array.isArray(answer) ? answer : [];
  }

  /** Variable names offered next to real values in pickers, as "$name". */
  variableNames(): string[] {
    return this.templateSrv.getVariables().map((v) => `$${v.name}`);
  }
}
