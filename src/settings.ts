import { DataSourceSettings } from '@grafana/data';

import rules from '../pkg/models/settings.json';
import type { MultiValueMode } from './interpolate';
import { LAYOUT_MULTI, LAYOUT_WIDE, LAYOUTS } from './names';
import { JsonData, SecureJsonData } from './types';

export type Settings = DataSourceSettings<JsonData, SecureJsonData>;

export type AuthChoice = 'none' | 'basic' | 'apiKey';

/** A problem the page shows next to its field before the user saves. */
export interface Problem {
  field:
    | 'url'
    | 'basicAuthUser'
    | 'basicAuthPassword'
    | 'apiKey'
    | 'tlsCACert'
    | 'tlsClientCert'
    | 'tlsClientKey'
    | 'layout'
    | 'multiValue'
    | NumberKey;
  message: string;
}

/** One numeric jsonData setting, as pkg/models/settings.json states it for the backend and this page alike. */
export interface NumberRule {
  key: string;
  label: string;
  unit: string;
  min: number;
  /** Whether min itself is allowed. */
  minIncluded: boolean;
  max: number | null;
  whole: boolean;
  default: number;
  /** Whether 0 means what an empty field means. */
  zeroMeansEmpty: boolean;
  /** What an empty field means, as messages say it. */
  emptyMeans: string;
  /** The Grafana operator's setting that caps this one, for the answer limits. */
  ceiling?: string;
}

/** The jsonData keys that hold numbers; ConfigEditor's test checks they are settings.json's. */
export type NumberKey =
  | 'timeout'
  | 'maxResponseMB'
  | 'concurrency'
  | 'cacheTTLSeconds'
  | 'cacheMaxMB'
  | 'maxSeries'
  | 'maxPoints'
  | 'maxCells'
  | 'maxListItems'
  | 'maxItemKB'
  | 'maxEventTags'
  | 'liveMinIntervalSeconds';

const RULES: readonly NumberRule[] = rules.numbers;

/** The number settings in the order the page shows them. */
export const NUMBER_KEYS = RULES.map((r) => r.key as NumberKey);

export const NUMBER_RULES = Object.fromEntries(RULES.map((r) => [r.key, r])) as Record<NumberKey, NumberRule>;

const NUMBER_PATTERN = new RegExp(rules.numberPattern);

/** A jsonData setting that takes one of a few strings, as pkg/models/settings.json states it. */
export interface ChoiceRule {
  key: string;
  label: string;
  default: string;
  options: Array<{ value: string; label: string; description: string }>;
}

/** "Multi-value variables": what a multi-value or "All" variable becomes (see MultiValueMode). */
export const MULTI_VALUE: ChoiceRule = rules.choices.find((c) => c.key === 'multiValue')!;

/** The data source's multi-value mode; absent or empty is the default (an unknown value too: the backend then fails every query, saying why). */
export function multiValueMode(jsonData: JsonData | undefined): MultiValueMode {
  const v = jsonData?.multiValue;
  return (MULTI_VALUE.options.some((o) => o.value === v) ? v : MULTI_VALUE.default) as MultiValueMode;
}

/** What Save & test says of a choice's value, in pkg/models' words (choiceRule.check); undefined when it is accepted. */
export function choiceProblem(r: ChoiceRule, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '' || r.options.some((o) => o.value === value)) {
    return undefined;
  }
  const want = r.options.map((o) => `${JSON.stringify(o.value)} (${o.label})`).join(' or ');
  return `${r.label} (jsonData.${r.key}) is ${JSON.stringify(value)}; it must be ${want}: choose ${r.label} on the configuration page and save`;
}

export function authChoice(s: Settings): AuthChoice {
  if (s.basicAuth) {
    return 'basic';
  }
  if (s.jsonData.authMethod === 'apiKey') {
    return 'apiKey';
  }
  // Provisioned data sources may set the key without saying which method.
  if (s.jsonData.authMethod === undefined && s.secureJsonFields?.apiKey) {
    return 'apiKey';
  }
  return 'none';
}

/** Whether a secret is set: saved before (secureJsonFields) or typed now (secureJsonData). */
export function hasSecret(s: Settings, key: keyof SecureJsonData & string): boolean {
  return Boolean(s.secureJsonFields?.[key]) || Boolean(s.secureJsonData?.[key]);
}

/** Forgets a secret: the backend stops sending it once the settings are saved. */
export function resetSecret(s: Settings, key: keyof SecureJsonData & string): Settings {
  return {
    ...s,
    secureJsonData: { ...s.secureJsonData, [key]: '' },
    secureJsonFields: { ...s.secureJsonFields, [key]: false },
  };
}

export function urlProblem(url: string | undefined): string | undefined {
  const text = (url ?? '').trim();
  if (text === '') {
    return 'Enter the URL of your metrics service, for example http://metrics.internal:8080';
  }
  if (!text.includes('://')) {
    // "host:8080" would parse with "host:" as its scheme; say what is meant.
    return `"${text}" has no scheme: write it as http://${text.replace(/^\/+/, '')} or https://…`;
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return `"${text}" is not a URL: write it with its scheme, for example http://${text.replace(/^\/+/, '')}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `The URL must start with http:// or https://, not ${parsed.protocol}//`;
  }
  if (parsed.hostname === '') {
    return 'The URL has no host name';
  }
  return undefined;
}

type Reading = { state: 'empty' } | { state: 'number'; value: number; shown: string } | { state: 'not a number'; shown: string };

// Only ASCII space, tab and line breaks, as the backend trims.
const EDGE_SPACE = /^[ \t\n\r]+|[ \t\n\r]+$/g;

/** Reads a value the page saved as a number or provisioning saved as a string, as the backend reads it. */
function readNumber(value: unknown): Reading {
  if (value === undefined || value === null) {
    return { state: 'empty' };
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { state: 'number', value, shown: String(value) } : { state: 'not a number', shown: String(value) };
  }
  if (typeof value === 'string') {
    const trimmed = value.replace(EDGE_SPACE, '');
    if (trimmed === '') {
      return { state: 'empty' };
    }
    const n = Number(trimmed);
    if (NUMBER_PATTERN.test(trimmed) && Number.isFinite(n)) {
      return { state: 'number', value: n, shown: String(n) };
    }
  }
  return { state: 'not a number', shown: JSON.stringify(value) ?? String(value) };
}

function allows(r: NumberRule, v: number): boolean {
  const tooSmall = v < r.min || (v === r.min && !r.minIncluded);
  const tooBig = r.max !== null && v > r.max;
  return !tooSmall && !tooBig && (!r.whole || Number.isInteger(v));
}

// Worded as pkg/models (numberRule.problem) words it; settings.test.ts holds
// both to pkg/models/testdata/settings-verdicts.json.
function problem(r: NumberRule, what: string): string {
  const kind = (r.whole ? 'whole number' : 'number') + (r.unit !== '' ? ` of ${r.unit}` : '');
  let want: string;
  if (r.max === null) {
    want =
      r.min === 0 && !r.minIncluded
        ? `a positive ${kind}`
        : r.minIncluded
          ? `a ${kind} of ${r.min} or more`
          : `a ${kind} above ${r.min}`;
  } else {
    want = r.minIncluded ? `a ${kind} from ${r.min} to ${r.max}` : `a ${kind} above ${r.min} and at most ${r.max}`;
  }
  const empty = r.zeroMeansEmpty ? '0 or empty' : 'empty';
  return `${r.label} is ${what}; it must be ${want}, or ${empty} for ${r.emptyMeans}`;
}

/** What Save & test would say of this value, in the same words; undefined when the backend accepts it. */
export function numberProblem(key: NumberKey, value: unknown): string | undefined {
  const r = NUMBER_RULES[key];
  const read = readNumber(value);
  if (read.state === 'empty' || (read.state === 'number' && read.value === 0 && r.zeroMeansEmpty)) {
    return undefined;
  }
  if (read.state === 'not a number') {
    return problem(r, `${read.shown}, which is not a number`);
  }
  if (!allows(r, read.value)) {
    return problem(r, r.unit !== '' ? `${read.shown} ${r.unit}` : read.shown);
  }
  return undefined;
}

/** Everything that would make Save & test fail for a reason the page can see. */
export function validate(s: Settings): Problem[] {
  const problems: Problem[] = [];
  const url = urlProblem(s.url);
  if (url) {
    problems.push({ field: 'url', message: url });
  }
  switch (authChoice(s)) {
    case 'basic':
      if (!s.basicAuthUser?.trim()) {
        problems.push({ field: 'basicAuthUser', message: 'Basic authentication needs a user' });
      }
      if (!hasSecret(s, 'basicAuthPassword')) {
        problems.push({ field: 'basicAuthPassword', message: 'Basic authentication needs a password' });
      }
      break;
    case 'apiKey':
      if (!hasSecret(s, 'apiKey')) {
        problems.push({ field: 'apiKey', message: 'Enter the API key, or choose another authentication method' });
      }
      break;
  }
  if (s.jsonData.tlsAuthWithCACert && !hasSecret(s, 'tlsCACert')) {
    problems.push({ field: 'tlsCACert', message: 'Paste the CA certificate, or turn off "Add self-signed certificate"' });
  }
  if (s.jsonData.tlsAuth) {
    if (!hasSecret(s, 'tlsClientCert')) {
      problems.push({ field: 'tlsClientCert', message: 'TLS client authentication needs the client certificate' });
    }
    if (!hasSecret(s, 'tlsClientKey')) {
      problems.push({ field: 'tlsClientKey', message: 'TLS client authentication needs the client key' });
    }
  }
  const layout = s.jsonData.layout;
  if (layout !== undefined && layout !== null && layout !== '' && !LAYOUTS.includes(layout)) {
    // Only a provisioning file can save this; the backend refuses it too.
    problems.push({
      field: 'layout',
      message: `Layout is ${JSON.stringify(layout)}, which the plugin does not know: choose "${LAYOUT_MULTI}" or "${LAYOUT_WIDE}"`,
    });
  }
  const multiValue = choiceProblem(MULTI_VALUE, s.jsonData.multiValue);
  if (multiValue) {
    problems.push({ field: 'multiValue', message: multiValue });
  }
  for (const key of NUMBER_KEYS) {
    const p = numberProblem(key, s.jsonData[key]);
    if (p) {
      problems.push({ field: key, message: p });
    }
  }
  return problems;
}

/** Whether the page should warn that credentials travel in clear text. */
export function sendsSecretsInClear(s: Settings): boolean {
  const choice = authChoice(s);
  const usesCredentials = choice !== 'none' || Object.keys(s.jsonData).some((k) => k.startsWith('httpHeaderName'));
  return usesCredentials && (s.url ?? '').trim().toLowerCase().startsWith('http://');
}
