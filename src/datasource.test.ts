import { CoreApp, ScopedVars } from '@grafana/data';

import { DataSource } from './datasource';
import { MAX_QUERIES } from './interpolate';
import { QUERY_TYPE_METRICS } from './names';
import { installBackend } from './test/backendSrv';
import { instanceSettings } from './test/instance';
import { answer, queryBackend, request } from './test/query';
import { FORMATS, fakeTemplateSrv, Vars } from './test/templateSrv';
import { Query } from './types';

const VARS: Vars = {
  host: 'web-1',
  hosts: ['web-1', 'web-2'],
  one: ['web-1'],
  none: [],
  region: 'eu "west"',
  regions: ['eu', 'us'],
  metric: 'cpu',
  metrics: ['cpu', 'mem'],
  limit: '5',
  all: { current: '$__all', options: ['a', 'b', 'c'], multi: true, includeAll: true },
  customAll: { current: ['$__all'], options: ['a', 'b'], multi: true, includeAll: true, allValue: '.*' },
  quoteAll: { current: '$__all', options: ['a'], includeAll: true, allValue: 'any "x"' },
  many: { current: Array.from({ length: 11 }, (_, i) => `m${i}`), multi: true },
  dotted: 'web.1',
};

function newDatasource(vars: Vars = VARS, multiValue?: 'regex' | 'split') {
  return new DataSource(instanceSettings({ multiValue }), fakeTemplateSrv(vars));
}

// As Explore opened from a panel calls it: one query, the first result kept.
function expand(query: Partial<Query>, scopedVars: ScopedVars = {}) {
  return newDatasource().interpolateVariablesInQueries([{ refId: 'A', ...query } as Query], scopedVars);
}

/** What the backend receives when a panel runs the saved query through query(). */
async function sent(query: Partial<Query>, multiValue?: 'regex' | 'split', vars: Vars = VARS) {
  const received = queryBackend();
  await answer(newDatasource(vars, multiValue).query(request([{ refId: 'A', ...query }])));
  return received;
}

describe('one value per variable', () => {
  const scoped: ScopedVars = { host: { text: 'db-9', value: 'db-9' } };
  const cases: Array<{ name: string; query: Partial<Query>; scopedVars?: ScopedVars; want: Partial<Query> }> = [
    { name: 'target', query: { target: '$metric' }, want: { target: 'cpu' } },
    { name: '${name} and [[name]] syntaxes', query: { target: '${metric}_[[host]]' }, want: { target: 'cpu_web-1' } },
    { name: 'alias keeps {{tag}} for the backend', query: { alias: '$host {{region}}' }, want: { alias: 'web-1 {{region}}' } },
    { name: 'legendFormat of JSON datasource models', query: { legendFormat: '${host}' }, want: { legendFormat: 'web-1' } },
    { name: 'scoped variables win (repeated panels)', query: { target: 'up', payload: { host: '$host' } }, scopedVars: scoped, want: { payload: { host: 'db-9' } } },
    { name: 'payload text field', query: { payload: { host: 'h=$host' } }, want: { payload: { host: 'h=web-1' } } },
    { name: 'a multi-value variable with one value selected is that value', query: { target: 'x-$one' }, want: { target: 'x-web-1' } },
    { name: 'numbers and booleans untouched', query: { payload: { limit: 5, raw: true } }, want: { payload: { limit: 5, raw: true } } },
    { name: 'unknown variables left as written', query: { target: '$nope' }, want: { target: '$nope' } },
    { name: 'custom all value inserted as written, one query', query: { target: 'r=$customAll' }, want: { target: 'r=.*' } },
    {
      name: 'JSON text: strings escaped, a bare multi-value variable is a list, a bare single value is a JSON value',
      query: { payload: '{"region": "$region", "hosts": $hosts, "one": $one, "limit": $limit}' },
      want: { payload: '{"region": "eu \\"west\\"", "hosts": ["web-1","web-2"], "one": ["web-1"], "limit": 5}' },
    },
    {
      name: 'JSON text: an explicit format inside a string stays one valid string',
      query: { payload: '{"hosts": "${hosts:doublequote}"}' },
      want: { payload: '{"hosts": "\\"web-1\\",\\"web-2\\""}' },
    },
    {
      name: 'JSON text: a custom all value with quotes stays valid',
      query: { payload: '{"q": "$quoteAll"}' },
      want: { payload: '{"q": "any \\"x\\""}' },
    },
  ];
  it.each(cases)('$name', ({ query, scopedVars, want }) => {
    const got = expand(query, scopedVars);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject(want);
    if (typeof got[0].payload === 'string') {
      expect(() => JSON.parse(got[0].payload as string)).not.toThrow();
    }
  });
});

describe('multi-value variables, one query per value (the split mode)', () => {
  const cases: Array<{ name: string; query: Partial<Query>; want: Array<Partial<Query>> }> = [
    {
      name: 'in target: one query per value',
      query: { target: '$metrics' },
      want: [{ refId: 'A', target: 'cpu' }, { refId: 'A-2', target: 'mem' }],
    },
    {
      name: 'in a single-value payload field: one query per value',
      query: { target: 'cpu', payload: { region: 'r-$regions' } },
      want: [{ payload: { region: 'r-eu' } }, { payload: { region: 'r-us' } }],
    },
    {
      name: 'the same variable twice takes the same value in one query',
      query: { target: '${regions}_load', payload: { region: '$regions' } },
      want: [
        { target: 'eu_load', payload: { region: 'eu' } },
        { target: 'us_load', payload: { region: 'us' } },
      ],
    },
    {
      name: 'two variables: one query per combination, the first varying slowest',
      query: { target: '$metrics', payload: { region: '$regions' } },
      want: [
        { refId: 'A', target: 'cpu', payload: { region: 'eu' } },
        { refId: 'A-2', target: 'cpu', payload: { region: 'us' } },
        { refId: 'A-3', target: 'mem', payload: { region: 'eu' } },
        { refId: 'A-4', target: 'mem', payload: { region: 'us' } },
      ],
    },
    {
      name: 'in a multi-select: one entry per value, added to the others',
      query: { target: 'cpu', payload: { hosts: ['$hosts', 'db-1'] } },
      want: [{ payload: { hosts: ['web-1', 'web-2', 'db-1'] } }],
    },
    {
      name: 'in a multi-select with text around it: the text on every entry',
      query: { target: 'cpu', payload: { hosts: ['h-$hosts'] } },
      want: [{ payload: { hosts: ['h-web-1', 'h-web-2'] } }],
    },
    {
      name: 'in a multi-select with two variables: one entry per combination',
      query: { target: 'cpu', payload: { keys: ['${regions}/$hosts'] } },
      want: [{ payload: { keys: ['eu/web-1', 'eu/web-2', 'us/web-1', 'us/web-2'] } }],
    },
    {
      name: 'in a multi-select with nothing selected: no entry',
      query: { target: 'cpu', payload: { hosts: ['$none', 'db-1'] } },
      want: [{ payload: { hosts: ['db-1'] } }],
    },
    {
      name: 'in a multi-select, "All" is every option',
      query: { target: 'cpu', payload: { k: ['$all'] } },
      want: [{ payload: { k: ['a', 'b', 'c'] } }],
    },
    {
      name: '"All" without a custom all value in target splits over every option',
      query: { target: 'm_$all' },
      want: [{ target: 'm_a' }, { target: 'm_b' }, { target: 'm_c' }],
    },
    {
      name: 'a JSON-text string: one query per value, each valid JSON',
      query: { target: 'cpu', payload: '{"hosts": "$hosts"}' },
      want: [{ payload: '{"hosts": "web-1"}' }, { payload: '{"hosts": "web-2"}' }],
    },
    {
      name: 'a JSON-text string with text around the variable',
      query: { target: 'cpu', payload: '{"h": "h-$hosts", "n": 1}' },
      want: [{ payload: '{"h": "h-web-1", "n": 1}' }, { payload: '{"h": "h-web-2", "n": 1}' }],
    },
    {
      name: 'a format written in the text makes one string, one query',
      query: { target: '${metrics:csv}', payload: { region: '${regions:pipe}' } },
      want: [{ target: 'cpu,mem', payload: { region: 'eu|us' } }],
    },
    {
      name: 'the legend follows the split; a variable that does not split is listed',
      query: { target: '$metrics', alias: '$metrics on $hosts' },
      want: [{ alias: 'cpu on web-1, web-2' }, { alias: 'mem on web-1, web-2' }],
    },
  ];
  it.each(cases)('$name', async ({ query, want }) => {
    const got = await sent(query, 'split');
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toMatchObject(w));
  });

  it('splits as far as the limit', async () => {
    const query = { target: '$many', payload: { region: '$all', h: '$hosts' } };
    expect(11 * 3 * 2).toBeLessThanOrEqual(MAX_QUERIES);
    expect(await sent(query, 'split')).toHaveLength(66);
  });
});

describe('multi-value variables, one query with a regex (the default, as the JSON datasource)', () => {
  const big: Vars = { ...VARS, hostAll: { current: '$__all', options: Array.from({ length: 150 }, (_, i) => `h${i}.dc`), multi: true, includeAll: true } };
  const cases: Array<{ name: string; query: Partial<Query>; want: Partial<Query> }> = [
    { name: "in target: Grafana's regex format", query: { target: '$metrics' }, want: { refId: 'A', target: '(cpu|mem)' } },
    { name: 'one value is escaped, as the regex format does', query: { target: 'x.$host', payload: { h: '$dotted' } }, want: { target: 'x.web-1', payload: { h: 'web\\.1' } } },
    { name: '"All" is every option', query: { target: 'm_$all' }, want: { target: 'm_(a|b|c)' } },
    { name: 'a custom all value goes as written', query: { target: '$customAll' }, want: { target: '.*' } },
    { name: 'in a payload field, text around kept', query: { target: 'cpu', payload: { region: 'r-$regions' } }, want: { payload: { region: 'r-(eu|us)' } } },
    {
      name: 'two variables: still one query',
      query: { target: '$metrics', payload: { region: '$regions' } },
      want: { target: '(cpu|mem)', payload: { region: '(eu|us)' } },
    },
    {
      name: 'in a multi-select entry: the regex, one entry, as the JSON datasource builder sent it',
      query: { target: 'cpu', payload: { hosts: ['$hosts', 'db-1'] } },
      want: { payload: { hosts: ['(web-1|web-2)', 'db-1'] } },
    },
    {
      name: 'a JSON-text string: the regex inside the string; a bare variable is still a list',
      query: { target: 'cpu', payload: '{"hosts": "h-$hosts", "list": $hosts, "one": "$dotted"}' },
      want: { payload: '{"hosts": "h-(web-1|web-2)", "list": ["web-1","web-2"], "one": "web.1"}' },
    },
    { name: 'a format written in the text wins', query: { target: '${metrics:csv}' }, want: { target: 'cpu,mem' } },
    { name: 'the legend lists the values', query: { target: '$metrics', alias: '$metrics on $hosts' }, want: { alias: 'cpu, mem on web-1, web-2' } },
  ];
  it.each(cases)('$name', async ({ query, want }) => {
    const got = await sent(query);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject(want);
    if (typeof got[0].payload === 'string') {
      expect(() => JSON.parse(got[0].payload as string)).not.toThrow();
    }
  });

  it('sends an "All" of 150 values as one query, which the split mode refuses', async () => {
    const query = { target: 'load:$hostAll', payload: '{"hosts": "$hostAll"}' };
    const got = await sent(query, undefined, big);
    const alternation = `(${Array.from({ length: 150 }, (_, i) => `h${i}\\.dc`).join('|')})`;
    expect(got.map((q) => [q.refId, q.target, q.payload])).toEqual([['A', `load:${alternation}`, JSON.stringify({ hosts: alternation }).replace(':', ': ')]]);
    expect(await sent(query, 'split', big)).toEqual([]);
  });
});

describe('every Grafana format, written in the query', () => {
  // Expected values: Grafana's documentation, servers = ['test1', 'test2'].
  const want: Record<string, string> = {
    glob: '{test1,test2}',
    csv: 'test1,test2',
    pipe: 'test1|test2',
    raw: 'test1,test2',
    json: '["test1","test2"]',
    regex: '(test1|test2)',
    lucene: '("test1" OR "test2")',
    distributed: 'test1,servers=test2',
    doublequote: '"test1","test2"',
    singlequote: "'test1','test2'",
    sqlstring: "'test1','test2'",
    percentencode: '%7Btest1%2Ctest2%7D',
    queryparam: 'var-servers=test1&var-servers=test2',
    text: 'test1 + test2',
  };
  it('covers every format the double knows', () => {
    expect(Object.keys(want).sort()).toEqual(Object.keys(FORMATS).sort());
  });
  it.each(Object.entries(want))('%s', (format, result) => {
    const ds = new DataSource(instanceSettings(), fakeTemplateSrv({ servers: ['test1', 'test2'] }));
    const got = ds.interpolateVariablesInQueries([{ refId: 'A', target: `\${servers:${format}}` }], {});
    expect(got.map((q) => q.target)).toEqual([result]);
    expect(ds.interpolateVariablesInQueries([{ refId: 'A', target: `[[servers:${format}]]` }], {})[0].target).toBe(result);
  });
  it('an unknown format falls back to glob, as in Grafana', () => {
    expect(expand({ target: '${hosts:nope}' })[0].target).toBe('{web-1,web-2}');
  });
  it.each([
    ['text', 'All'],
    ['percentencode', '.%2A'],
    ['queryparam', 'var-customAll=%24__all'],
    ['csv', '.*'],
  ])('a custom all value with %s', (format, result) => {
    expect(expand({ target: `\${customAll:${format}}` })[0].target).toBe(result);
  });
});

describe('query', () => {
  async function run(targets: Array<Partial<Query>>, multiValue?: 'split') {
    const queries = queryBackend();
    const res = await answer(newDatasource(VARS, multiValue).query(request(targets)));
    return { res, queries };
  }

  it('sends one query per saved query in the regex mode', async () => {
    const { res, queries } = await run([{ target: '$many', payload: { a: '$all', b: '$metrics', c: '$regions' } }, { target: 'disk' }]);
    expect(queries.map((q) => [q.refId, q.target, q.payload])).toEqual([
      ['A', '(m0|m1|m2|m3|m4|m5|m6|m7|m8|m9|m10)', { a: '(a|b|c)', b: '(cpu|mem)', c: '(eu|us)' }],
      ['B', 'disk', undefined],
    ]);
    expect(res.errors).toBeUndefined();
  });

  it('sends one query per value in the split mode and answers under the saved refId', async () => {
    const { res, queries } = await run([{ target: '$metrics', payload: { h: ['$hosts'] } }, { target: 'disk' }], 'split');
    expect(queries.map((q) => [q.refId, q.target, q.payload])).toEqual([
      ['A', 'cpu', { h: ['web-1', 'web-2'] }],
      ['A-2', 'mem', { h: ['web-1', 'web-2'] }],
      ['B', 'disk', undefined],
    ]);
    expect(res.data.map((f) => [f.refId, f.name])).toEqual([
      ['A', 'cpu'],
      ['A', 'mem'],
      ['B', 'disk'],
    ]);
  });

  it('does not send hidden queries or queries without a metric', async () => {
    const { queries } = await run([{ target: 'cpu', hide: true }, { target: ' ' }, { target: 'mem' }]);
    expect(queries.map((q) => q.target)).toEqual(['mem']);
  });

  it('fails only the query that would split too far, with the reason', async () => {
    const { res, queries } = await run([{ target: '$many', payload: { a: '$all', b: '$metrics', c: '$regions' } }, { target: 'cpu' }], 'split');
    expect(queries.map((q) => q.target)).toEqual(['cpu']);
    expect(res.errors).toEqual([{ refId: 'A', message: expect.stringMatching(/would become 132 queries .* at most 100/) }]);
  });

  it('keeps a backend error under the saved refId', async () => {
    const { res } = await run([{ target: 'broken' }]);
    expect(res.errors?.map((e) => e.refId)).toEqual(['A']);
  });
});

/**
 * Explore opened from a panel (scenes' utils/explore.ts) and the expression
 * engine (ExpressionDatasource.query) call interpolateVariablesInQueries
 * with one query at a time and keep the first query it returns; a request
 * with an expression goes to the expression engine, never to query().
 */
function asGrafanaCallsIt(ds: DataSource, targets: Query[], scopedVars: ScopedVars = {}) {
  return targets.map((t) => (t.datasource?.type === '__expr__' ? t : ds.interpolateVariablesInQueries([t], scopedVars)[0]));
}

describe('Explore from a panel and server-side expressions', () => {
  const targets = [
    { refId: 'A', target: '$metrics', payload: { h: 'r-$regions' } },
    { refId: 'B', target: '$metric', alias: '$host' },
    { refId: 'C', datasource: { type: '__expr__', uid: '__expr__' }, expression: '$A * 2' } as Query,
  ];

  it('each query comes back as one, interpolated as query() sends it, with the data source', async () => {
    const ds = newDatasource();
    const query = vi.spyOn(ds, 'query');
    const got = asGrafanaCallsIt(ds, targets);
    expect(got.map((q) => [q.refId, q.target, q.payload, q.alias, q.datasource?.uid])).toEqual([
      ['A', '(cpu|mem)', { h: 'r-(eu|us)' }, undefined, 'inhouse-uid'],
      ['B', 'cpu', undefined, 'web-1', 'inhouse-uid'],
      ['C', undefined, undefined, undefined, '__expr__'],
    ]);
    expect(query).not.toHaveBeenCalled();
    const viaQuery = await sent(targets[0]);
    expect([viaQuery[0].target, viaQuery[0].payload]).toEqual([got[0].target, got[0].payload]);
  });

  it('in the split mode, each query is its first value, since Grafana keeps one', () => {
    const got = asGrafanaCallsIt(newDatasource(VARS, 'split'), targets);
    expect(got.map((q) => [q.refId, q.target, q.payload])).toEqual([
      ['A', 'cpu', { h: 'r-eu' }],
      ['B', 'cpu', undefined],
      ['C', undefined, undefined],
    ]);
  });

  it('in the split mode, a variable past the query limit still gives its first value, not the text as written', () => {
    const vars: Vars = { ...VARS, hostAll: { current: '$__all', options: Array.from({ length: 150 }, (_, i) => `h${i}`), multi: true, includeAll: true } };
    const ds = newDatasource(vars, 'split');
    expect(asGrafanaCallsIt(ds, [{ refId: 'A', target: '$hostAll', payload: { m: '$metrics' } }]).map((q) => [q.target, q.payload])).toEqual([
      ['h0', { m: 'cpu' }],
    ]);
    expect(ds.applyTemplateVariables({ refId: 'A', target: '$hostAll' }, {}).target).toBe('h0');
  });

  it('does not change the saved query', () => {
    const query: Query = { refId: 'A', target: '$metric', payload: { hosts: ['$hosts'] } };
    newDatasource().interpolateVariablesInQueries([query], {});
    newDatasource().applyTemplateVariables(query, {});
    expect(query).toEqual({ refId: 'A', target: '$metric', payload: { hosts: ['$hosts'] } });
  });
});

describe('getQueryDisplayText', () => {
  it.each([
    [{ target: 'cpu' }, 'cpu'],
    [{ target: 'cpu', payload: { region: 'eu' }, format: 'table' as const }, 'cpu {"region":"eu"} as table'],
    [{ target: 'cpu', payload: '{"a": 1}', legendFormat: '{{host}}' }, 'cpu {"a": 1} legend "{{host}}"'],
    [{ target: 'cpu', type: 'table' }, 'cpu as table'],
    [{}, '(no metric)'],
  ])('%j', (query, want) => {
    expect(newDatasource().getQueryDisplayText({ refId: 'A', ...query })).toBe(want);
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

  it('asks for one field options with the first value of a multi-value variable', async () => {
    const calls = installBackend(() => ({ status: 200, data: [{ label: 'EU', value: 'eu' }] }));
    expect(await newDatasource().getPayloadOptions('$metrics', 'zone', { region: '$regions' })).toEqual([{ label: 'EU', value: 'eu' }]);
    expect(calls[0]).toMatchObject({
      url: '/api/datasources/uid/inhouse-uid/resources/metric-payload-options',
      data: { metric: 'cpu', name: 'zone', payload: { region: 'eu' } },
    });
  });

  it('resolves a metric variable for the editor', () => {
    expect(['$metric', '$metrics', 'plain', ''].map((m) => newDatasource().resolveMetric(m))).toEqual(['cpu', 'cpu', 'plain', '']);
  });

  it('reads the variables on every call, so a new one shows', () => {
    const srv = fakeTemplateSrv({ a: 'x' });
    const ds = new DataSource(instanceSettings(), srv);
    expect(ds.variableNames()).toEqual(['$a']);
    srv.vars.b = 'y';
    expect(ds.variableNames()).toEqual(['$a', '$b']);
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
