import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** How the backend shapes an answer; older saved models may also say "timeserie" or "table" in `type`. */
export type QueryFormat = 'time_series' | 'table';

/** A value of one payload field; lists come from multi-select fields. Options may carry numbers. */
export type PayloadScalar = string | number | boolean;
export type PayloadValue = PayloadScalar | PayloadScalar[];

/**
 * The saved query. The backend (pkg/models.ParseQuery) also accepts the JSON
 * datasource's and SimpleJSON's saved models: `payload` as a JSON string,
 * `type`, `legendFormat`.
 */
export interface InhouseQuery extends DataQuery {
  target?: string;
  payload?: Record<string, PayloadValue> | string;
  format?: QueryFormat;
  alias?: string;
  /** SimpleJSON's name for format. */
  type?: string;
  /** The JSON datasource's name for alias. */
  legendFormat?: string;
}

export const DEFAULT_QUERY: Partial<InhouseQuery> = {
  format: 'time_series',
  payload: {},
};

/** jsonData as pkg/models.Settings reads it, plus Grafana's standard HTTP keys. */
export interface InhouseOptions extends DataSourceJsonData {
  /** Which authentication the page shows; the backend decides by what is set. */
  authMethod?: 'none' | 'basic' | 'apiKey';
  timeout?: number;
  maxResponseMB?: number;
  concurrency?: number;
  cacheTTLSeconds?: number;
  cacheMaxMB?: number;
  allowedHosts?: string[];
  tlsAuth?: boolean;
  tlsAuthWithCACert?: boolean;
  tlsSkipVerify?: boolean;
  serverName?: string;
  [customHeaderName: `httpHeaderName${number}`]: string | undefined;
}

export interface InhouseSecureOptions {
  apiKey?: string;
  basicAuthPassword?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  [customHeaderValue: `httpHeaderValue${number}`]: string | undefined;
}

/** One entry of the `metrics` resource (the service's POST /metrics). */
export interface MetricDef {
  label?: string;
  value: string;
  payloads?: PayloadDef[];
}

export type PayloadType = 'select' | 'multi-select' | 'input' | 'textarea';

export interface PayloadDef {
  label?: string;
  name: string;
  type?: PayloadType;
  placeholder?: string;
  reloadMetric?: boolean;
  width?: number;
  options?: SelectOption[];
}

export interface SelectOption {
  label?: string;
  value: PayloadScalar;
}
