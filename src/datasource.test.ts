import { CoreApp, ScopedVars } from '@grafana/data';

import { DataSource } from './datasource';
import { QUERY_TYPE_METRICS } from './names';
import { installBackend } from './test/backendSrv';
import { instanceSettings } from './test/instance';
import { fakeTemplateSrv } from './test/templateSrv';
import { Query } from './types';

const vars = { host: 'web-1', hosts: ['web-1', 'web-2'], region: 'eu "west"', metric: 'cpu' };

function newDatasource() {
  return new DataSource(instanceSettings(), fakeTemplateSrv(vars));
}

describe('applyTemplateVariables', () => {
  const scoped: ScopedVars = { host: { text: 'db-9', value: 'db-9' } };
  const cases: Array<{ name: string; query: Partial<Query>; scopedVars?: ScopedVars; want: Partial<Query> }> = [
    { name: 'target', query: { target: '$metric' }, want: { target: 'cpu' } },
    { name: 'alias keeps {{tag}} for the backend', query: { alias: '$host {{region}}' }, want: { alias: 'web-1 {{region}}' } },
    { name: 'legendFormat of JSON datasource models', query: { legendFormat: '${host}' }, want: { legendFormat: 'web-1' } },
    { name: 'scoped variables win (repeated panels)', query: { target: 'up', payload: { host: '$host' } }, scopedVars: scoped, want: { payload: { host: 'db-9' } } },
    { name: 'payload text field', query: { payload: { host: 'h=$host' } }, want: { payload: { host: 'h=web-1' } } },
    {
      name: 'multi-value variable in a multi-select becomes several entries',
      query: { payload: { hosts: ['$hosts', 'db-1'] } },
      want: { payload: { hosts: ['web-1', 'web-2', 'db-1'] } },
    },
    { name: 'numbers and booleans untouched', query: { payload: { limit: 5, raw: true } }, want: { payload: { limit: 5, raw: true } } },
    { name: 'unknown variables left as written', query: { target: '$nope' }, want: { target: '$nope' } },
    {
      name: 'JSON text payload stays valid JSON',
      query: { payload: '{"region": "$region", "hosts": $hosts}' },
      want: { payload: '{"region": "eu \\"west\\"", "hosts": ["web-1","web-2"]}' },
    },
  ];
  it.each(cases)('$name', ({ query, scopedVars, want }) => {
    const got = newDatasource().applyTemplateVariables({ refId: 'A', ...query } as Query, scopedVars ?? {});
    expect(got).toMatchObject(want);
    if (typeof got.payload === 'string') {
      expect(() => JSON.parse(got.payload as string)).not.toThrow();
    }
  });

  it('does not change the saved query', () => {
    const query: Query = { refId: 'A', target: '$metric', payload: { hosts: ['$hosts'] } };
    newDatasource().applyTemplateVariables(query, {});
    expect(query).toEqual({ refId: 'A', target: '$metric', payload: { hosts: ['$hosts'] } });
  });
});

describe('filterQuery', () => {
  it.each([
    { query: { target: 'cpu' }, want: true },
    { query: { target: 'cpu', hide: true }, want: false },
    { query: { target: '   ' }, want: false },
    { query: {}, want: false },
  ])('$query -> $want', ({ query, want }) => {
    expect(newDatasource().filterQuery({ refId: 'A', ...query })).toBe(want);
  });
});

it('supports annotations through the backend query path', () => {
  const ds = newDatasource();
  expect(ds.annotations).toBeDefined();
  // No legacy annotationQuery: Grafana then sends annotation queries through query().
  expect((ds as unknown as { annotationQuery?: unknown }).annotationQuery).toBeUndefined();
});

it('starts new queries as metric queries, time series with an empty payload', () => {
  expect(newDatasource().getDefaultQuery(CoreApp.PanelEditor)).toEqual({
    queryType: QUERY_TYPE_METRICS,
    format: 'time_series',
    payload: {},
  });
  expect(QUERY_TYPE_METRICS).toBe('metrics');
});

describe('resources', () => {
  it('lists metrics through the backend route, with variables replaced', async () => {
    const calls = installBackend(() => ({ status: 200, data: [{ value: 'cpu', payloads: [] }] }));
    const metrics = await newDatasource().getMetrics('$metric', { host: '$host' });
    expect(metrics).toEqual([{ value: 'cpu', payloads: [] }]);
    expect(calls).toEqual([
      { url: '/api/datasources/uid/inhouse-uid/resources/metrics', method: 'POST', data: { metric: 'cpu', payload: { host: 'web-1' } } },
    ]);
  });

  it('asks for one field options', async () => {
    const calls = installBackend(() => ({ status: 200, data: [{ label: 'EU', value: 'eu' }] }));
    expect(await newDatasource().getPayloadOptions('cpu', 'region', {})).toEqual([{ label: 'EU', value: 'eu' }]);
    expect(calls[0]).toMatchObject({
      url: '/api/datasources/uid/inhouse-uid/resources/metric-payload-options',
      data: { metric: 'cpu', name: 'region', payload: {} },
    });
  });

  it('treats a null answer as no metrics', async () => {
    installBackend(() => ({ status: 200, data: null }));
    expect(await newDatasource().getMetrics()).toEqual([]);
  });

  it('passes the backend error on', async () => {
    installBackend(() => ({ status: 502, data: { error: 'the service answered 500' } }));
    await expect(newDatasource().getMetrics()).rejects.toMatchObject({ data: { error: 'the service answered 500' } });
  });
});
