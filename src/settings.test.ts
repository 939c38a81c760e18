import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import {
  authChoice,
  choiceProblem,
  MULTI_VALUE,
  multiValueMode,
  NUMBER_KEYS,
  NumberKey,
  numberProblem,
  sendsSecretsInClear,
  Settings,
  urlProblem,
  validate,
} from './settings';
import { settings as base } from './test/settings';

const settings = (over: Partial<Settings> = {}) => base({ url: 'https://metrics.internal:8080', ...over });

interface Verdict {
  key: NumberKey;
  value: unknown;
  ok: boolean;
  message?: string;
}

// Written by the backend's test from what LoadSettings says (go test ./pkg/models -update).
// Read with JSON.parse, not imported, so values such as 1e999 arrive as JSON.parse makes them.
const VERDICTS: Verdict[] = JSON.parse(
  readFileSync(resolve(__dirname, '../pkg/models/testdata/settings-verdicts.json'), 'utf8')
);

describe('numberProblem agrees with the backend', () => {
  it('has a verdict for every number setting', () => {
    expect([...new Set(VERDICTS.map((v) => v.key))]).toEqual(NUMBER_KEYS);
  });

  it.each(VERDICTS.map((v) => [v.key, JSON.stringify(v.value), v]))('%s = %s', (_key, _shown, v) => {
    expect({ ok: numberProblem(v.key, v.value) === undefined, message: numberProblem(v.key, v.value) }).toEqual({
      ok: v.ok,
      message: v.message,
    });
  });
});

describe('urlProblem', () => {
  it.each([
    ['http://metrics:8080', undefined],
    ['https://metrics.internal/api/grafana/json', undefined],
    ['', 'Enter the URL'],
    ['metrics.internal:8080', 'has no scheme: write it as http://metrics.internal:8080'],
    ['ftp://metrics', 'must start with http:// or https://'],
    ['http://exa mple', 'is not a URL'],
  ])('%s', (url, want) => {
    const got = urlProblem(url);
    if (want === undefined) {
      expect(got).toBeUndefined();
    } else {
      expect(got).toContain(want);
    }
  });
});

describe('validate', () => {
  const cases: Array<{ name: string; s: Settings; want: string[] }> = [
    { name: 'complete, no auth', s: settings(), want: [] },
    { name: 'no URL', s: settings({ url: '' }), want: ['url'] },
    { name: 'basic auth without user or password', s: settings({ basicAuth: true }), want: ['basicAuthUser', 'basicAuthPassword'] },
    {
      name: 'basic auth with a saved password',
      s: settings({ basicAuth: true, basicAuthUser: 'grafana', secureJsonFields: { basicAuthPassword: true } }),
      want: [],
    },
    { name: 'API key chosen, not typed', s: settings({ jsonData: { authMethod: 'apiKey' } }), want: ['apiKey'] },
    {
      name: 'API key typed now',
      s: settings({ jsonData: { authMethod: 'apiKey' }, secureJsonData: { apiKey: 'k' } }),
      want: [],
    },
    { name: 'CA cert switched on, not pasted', s: settings({ jsonData: { tlsAuthWithCACert: true } }), want: ['tlsCACert'] },
    { name: 'mTLS without cert and key', s: settings({ jsonData: { tlsAuth: true } }), want: ['tlsClientCert', 'tlsClientKey'] },
    {
      name: 'numbers out of range',
      s: settings({ jsonData: { timeout: -1, concurrency: 11, cacheTTLSeconds: -1, maxResponseMB: Number.NaN, cacheMaxMB: 5 } }),
      want: ['timeout', 'maxResponseMB', 'concurrency', 'cacheTTLSeconds'],
    },
    {
      name: '0 means the default, as saved data sources have it',
      s: settings({ jsonData: { timeout: 0, maxResponseMB: 0, concurrency: 0, cacheTTLSeconds: 0, cacheMaxMB: 0 } }),
      want: [],
    },
    { name: 'fractional concurrency', s: settings({ jsonData: { concurrency: 2.5 } }), want: ['concurrency'] },
    { name: 'layout wide', s: settings({ jsonData: { layout: 'wide' } }), want: [] },
    { name: 'layout multi', s: settings({ jsonData: { layout: 'multi' } }), want: [] },
    { name: 'layout empty, as multi', s: settings({ jsonData: { layout: '' } }), want: [] },
    { name: 'layout the backend refuses', s: settings({ jsonData: { layout: 'Wide' } }), want: ['layout'] },
    { name: 'multi-value variables regex', s: settings({ jsonData: { multiValue: 'regex' } }), want: [] },
    { name: 'multi-value variables split', s: settings({ jsonData: { multiValue: 'split' } }), want: [] },
    { name: 'multi-value variables empty, as regex', s: settings({ jsonData: { multiValue: '' } }), want: [] },
    { name: 'multi-value variables the backend refuses', s: settings({ jsonData: { multiValue: 'Split' } }), want: ['multiValue'] },
  ];
  it.each(cases)('$name', ({ s, want }) => {
    expect(validate(s).map((p) => p.field)).toEqual(want);
  });

  it('says how to fix the multi-value choice, in the words of pkg/models (TestLoadSettings)', () => {
    expect(choiceProblem(MULTI_VALUE, 'Split')).toBe(
      'Multi-value variables (jsonData.multiValue) is "Split"; it must be "regex" (One query with a regex (as the JSON datasource)) or "split" (One query per value): choose Multi-value variables on the configuration page and save'
    );
    expect(choiceProblem(MULTI_VALUE, true)).toMatch(/^Multi-value variables \(jsonData.multiValue\) is true; it must be "regex"/);
  });

  it.each([
    [undefined, 'regex'],
    ['', 'regex'],
    ['regex', 'regex'],
    ['split', 'split'],
  ])('multiValue %j means the %s mode', (multiValue, want) => {
    expect(multiValueMode({ multiValue })).toBe(want);
  });

  it('says how to fix a number', () => {
    expect(numberProblem('concurrency', 11)).toBe(
      'Concurrency is 11; it must be a whole number from 1 to 10, or 0 or empty for the default (10)'
    );
    // The page's own NaN (an input it could not read) never reaches the backend's file.
    expect(numberProblem('maxResponseMB', Number.NaN)).toBe(
      'Maximum response size is NaN, which is not a number; it must be a positive number of MB, or 0 or empty for the default (64 MB)'
    );
  });
});

describe('authChoice', () => {
  it.each([
    [settings(), 'none'],
    [settings({ basicAuth: true }), 'basic'],
    [settings({ jsonData: { authMethod: 'apiKey' } }), 'apiKey'],
    [settings({ secureJsonFields: { apiKey: true } }), 'apiKey'],
    [settings({ jsonData: { authMethod: 'none' }, secureJsonFields: { apiKey: true } }), 'none'],
  ])('%#', (s, want) => expect(authChoice(s)).toBe(want));
});

describe('sendsSecretsInClear', () => {
  it.each([
    [settings({ url: 'http://m', jsonData: { authMethod: 'apiKey' } }), true],
    [settings({ url: 'https://m', jsonData: { authMethod: 'apiKey' } }), false],
    [settings({ url: 'http://m' }), false],
    [settings({ url: 'http://m', jsonData: { httpHeaderName1: 'X-Token' } }), true],
  ])('%#', (s, want) => expect(sendsSecretsInClear(s)).toBe(want));
});
