import { DataSourceSettings } from '@grafana/data';

import { InhouseOptions, InhouseSecureOptions } from './types';

export type Settings = DataSourceSettings<InhouseOptions, InhouseSecureOptions>;

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
    | keyof typeof NUMBER_RULES;
  message: string;
}

// The backend's rules (pkg/models.LoadSettings), so the page refuses what Save & test would.
interface NumberRule {
  label: string;
  min: number;
  /** Whether min itself is allowed. */
  minIncluded: boolean;
  max?: number;
  whole?: boolean;
}

export const NUMBER_RULES: Record<'timeout' | 'maxResponseMB' | 'concurrency' | 'cacheTTLSeconds' | 'cacheMaxMB', NumberRule> = {
  timeout: { label: 'Timeout', min: 0, minIncluded: false },
  maxResponseMB: { label: 'Maximum response size', min: 0, minIncluded: false },
  concurrency: { label: 'Concurrent queries', min: 1, minIncluded: true, max: 10, whole: true },
  cacheTTLSeconds: { label: 'Cache time to live', min: 0, minIncluded: true },
  cacheMaxMB: { label: 'Cache size', min: 0, minIncluded: false },
};

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
export function hasSecret(s: Settings, key: keyof InhouseSecureOptions & string): boolean {
  return Boolean(s.secureJsonFields?.[key]) || Boolean(s.secureJsonData?.[key]);
}

/** Forgets a secret: the backend stops sending it once the settings are saved. */
export function resetSecret(s: Settings, key: keyof InhouseSecureOptions & string): Settings {
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

export function numberProblem(key: keyof typeof NUMBER_RULES, value: number | undefined): string | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const r = NUMBER_RULES[key];
  const tooSmall = r.minIncluded ? value < r.min : value <= r.min;
  if (!Number.isFinite(value) || tooSmall || (r.max !== undefined && value > r.max) || (r.whole && !Number.isInteger(value))) {
    const kind = r.whole ? 'a whole number' : 'a number';
    const range =
      r.max !== undefined ? `from ${r.min} to ${r.max}` : r.minIncluded ? `of ${r.min} or more` : `above ${r.min}`;
    return `${r.label} must be ${kind} ${range}; leave it empty for the default`;
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
  for (const key of Object.keys(NUMBER_RULES) as Array<keyof typeof NUMBER_RULES>) {
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
