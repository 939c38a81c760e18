import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

import { QUERY_TYPE_METRICS } from './names';

/** How the backend shapes an answer; older saved models may also say "timeserie" or "table" in `type`. */
export type QueryFormat = 'time_series' | 'table';

/** How a variable query's text is read (the JSON datasource's model): as the target, or as a JSON object. */
export type VariableFormat = 'string' | 'json';

/** A value of one payload field; lists come from multi-select fields. Options may carry numbers. */
export type PayloadScalar = string | number | boolean;
export type PayloadValue = PayloadScalar | PayloadScalar[];

/** One ad hoc filter as the backend reads it (Go's contract.Filter). */
export interface AdhocFilter {
  key: string;
  operator: string;
  value: string;
  /** AND or OR, joining the filter to the one before it; absent means AND. */
  condition?: string;
}

/** The dashboard's time range as the user picked it ("now-6h", "now"). */
export interface RangeRaw {
  from: string;
  to: string;
}

/**
 * The saved query, which pkg/models.ParseQuery reads into models.Query. The
 * backend also accepts the JSON datasource's and SimpleJSON's saved models:
 * `payload` as a JSON string, `type`, `legendFormat`. Template variable
 * queries (ParseVariableQuery) and annotation queries (ParseAnnotationQuery)
 * use the same shape, told apart by `queryType`.
 */
export interface Query extends DataQuery {
  target?: string;
  payload?: Record<string, PayloadValue> | string;
  /** Metric queries: a QueryFormat. Variable queries in the JSON datasource's model: a VariableFormat. */
  format?: QueryFormat | VariableFormat;
  alias?: string;
  /**
   * Metric queries in the time series format: after the first answer the
   * panel gets the points that arrive, every interval, through Grafana
   * Live (the backend's RunStream). Alert rules ignore it.
   */
  live?: boolean;
  /** SimpleJSON's name for format. */
  type?: string;
  /** The JSON datasource's name for alias. */
  legendFormat?: string;
  /** The text of a variable query (the JSON datasource's model) or of a SimpleJSON annotation. */
  query?: string;
  /** A SimpleJSON annotation's own settings, sent with its query text. */
  name?: string;
  enable?: boolean;
  iconColor?: string;
  /** The dashboard's ad hoc filters; added on the way to the backend, never saved. */
  adhocFilters?: AdhocFilter[];
  /** The dashboard's relative range; added on the way to the backend, never saved. */
  rangeRaw?: RangeRaw;
}

/** The format a metric query asks for, whichever name the saved model used. */
export function queryFormat(query: Pick<Query, 'format' | 'type'>): QueryFormat {
  if (query.format === 'table' || query.format === 'time_series') {
    return query.format;
  }
  return query.type === 'table' ? 'table' : 'time_series';
}

export const DEFAULT_QUERY: Partial<Query> = {
  queryType: QUERY_TYPE_METRICS,
  format: 'time_series',
  payload: {},
};

/**
 * The data source's jsonData, which pkg/models.LoadSettings reads into
 * models.Settings (the numbers by pkg/models/settings.json), plus Grafana's
 * standard HTTP keys, which the SDK reads.
 */
export interface JsonData extends DataSourceJsonData {
  /** Which authentication the page shows; the backend decides by what is set. */
  authMethod?: 'none' | 'basic' | 'apiKey';
  timeout?: number;
  maxResponseMB?: number;
  concurrency?: number;
  cacheTTLSeconds?: number;
  cacheMaxMB?: number;
  maxSeries?: number;
  maxPoints?: number;
  maxCells?: number;
  maxListItems?: number;
  maxItemKB?: number;
  maxEventTags?: number;
  liveMinIntervalSeconds?: number;
  /** Reduce each series to the panel's maxDataPoints, keeping each interval's lowest and highest value; never for alert rules. */
  downsample?: boolean;
  /** How time series reach Grafana: one of LAYOUTS in src/names.ts (pkg/models/names.json); absent means multi. */
  layout?: string;
  /** What a multi-value variable becomes: "regex" (the default, one query) or "split" (one query per value); pkg/models/settings.json. */
  multiValue?: string;
  allowedHosts?: string[];
  tlsAuth?: boolean;
  tlsAuthWithCACert?: boolean;
  tlsSkipVerify?: boolean;
  serverName?: string;
  /** Grafana's secure SOCKS proxy toggle; the SDK reads it into the HTTP client's proxy options. */
  enableSecureSocksProxy?: boolean;
  [customHeaderName: `httpHeaderName${number}`]: string | undefined;
}

/** The data source's secureJsonData: the API key for models.Settings, the rest Grafana's standard secrets. */
export interface SecureJsonData {
  apiKey?: string;
  basicAuthPassword?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  [customHeaderValue: `httpHeaderValue${number}`]: string | undefined;
}

/** One entry of the `metrics` resource (the service's POST /metrics): Go's contract.Metric. */
export interface Metric {
  label?: string;
  value: string;
  payloads?: PayloadDef[];
}

export type PayloadType = 'select' | 'multi-select' | 'input' | 'textarea';

/** One payload field a metric takes: Go's contract.PayloadDef. */
export interface PayloadDef {
  label?: string;
  name: string;
  type?: PayloadType;
  placeholder?: string;
  reloadMetric?: boolean;
  width?: number;
  options?: SelectOption[];
}

/** Go's contract.SelectOption. */
export interface SelectOption {
  label?: string;
  value: PayloadScalar;
}
