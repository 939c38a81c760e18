import { authChoice, numberProblem, sendsSecretsInClear, Settings, urlProblem, validate } from './settings';
import { settings as base } from './test/settings';

const settings = (over: Partial<Settings> = {}) => base({ url: 'https://metrics.internal:8080', ...over });


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
      s: settings({ jsonData: { timeout: 0, concurrency: 11, cacheTTLSeconds: -1, maxResponseMB: Number.NaN, cacheMaxMB: 5 } }),
      want: ['timeout', 'maxResponseMB', 'concurrency', 'cacheTTLSeconds'],
    },
    { name: 'fractional concurrency', s: settings({ jsonData: { concurrency: 2.5 } }), want: ['concurrency'] },
  ];
  it.each(cases)('$name', ({ s, want }) => {
    expect(validate(s).map((p) => p.field)).toEqual(want);
  });

  it('says how to fix a number', () => {
    expect(numberProblem('concurrency', 11)).toBe(
      'Concurrent queries must be a whole number from 1 to 10; leave it empty for the default'
    );
    expect(numberProblem('timeout', 0)).toBe('Timeout must be a number above 0; leave it empty for the default');
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
