import { ScopedVars } from '@grafana/data';

import { DataSource } from './datasource';
import { QUERY_TYPE_VARIABLE } from './names';
import { instanceSettings } from './test/instance';
import { answer, queryBackend, request } from './test/query';
import { fakeTemplateSrv, Vars } from './test/templateSrv';
import { Query } from './types';
import { toVariableQuery } from './variableQuery';
import { VariableSupport } from './variables';

// A dashboard with a service variable, the one a chained "versions of a
// service" variable depends on, in each of its states.
const VARS: Vars = {
  service: 'checkout',
  services: ['checkout', 'search'],
  all: { current: '$__all', options: ['checkout', 'search', 'payments'], multi: true, includeAll: true },
  customAll: { current: '$__all', options: ['checkout', 'search'], multi: true, includeAll: true, allValue: '.*' },
  odd: 'a "quoted" one',
  dotted: 'v1.2',
};

type Mode = 'regex' | 'split';

function variables(vars: Vars = VARS, multiValue?: Mode) {
  const ds = new DataSource(instanceSettings({ multiValue }), fakeTemplateSrv(vars));
  return ds.variables as VariableSupport;
}

/** Runs a saved variable query as Grafana does; returns what the backend received and the answer. */
async function runVariable(saved: unknown, scopedVars: ScopedVars = {}, multiValue?: Mode) {
  const received = queryBackend();
  // Grafana sends the saved query as it is: no refId, perhaps a bare string.
  const res = await answer(variables(VARS, multiValue).query({ ...request([], { scopedVars }), targets: [saved as Query] }));
  return { received, res };
}

// want: what the default, regex mode sends (one query); split: what the
// one-query-per-value mode sends, where it differs.
type Case = { name: string; text: string; want: string[]; split?: string[] };
const modes = (cases: Case[]) =>
  cases.flatMap((c) => [
    { ...c, mode: 'regex' as Mode },
    { ...c, mode: 'split' as Mode, want: c.split ?? c.want },
  ]);

describe('chained variables: the query text in the JSON format', () => {
  const cases: Case[] = [
    { name: 'one value', text: '{"target": "versions", "service": "$service"}', want: ['{"target": "versions", "service": "checkout"}'] },
    {
      name: 'several values inside a string: a regex, or one query each',
      text: '{"target": "versions", "service": "$services"}',
      want: ['{"target": "versions", "service": "(checkout|search)"}'],
      split: ['{"target": "versions", "service": "checkout"}', '{"target": "versions", "service": "search"}'],
    },
    {
      name: 'several values bare: a JSON list',
      text: '{"target": "versions", "service": $services}',
      want: ['{"target": "versions", "service": ["checkout","search"]}'],
    },
    { name: 'csv', text: '{"target": "versions", "service": "${services:csv}"}', want: ['{"target": "versions", "service": "checkout,search"}'] },
    { name: 'pipe', text: '{"target": "versions", "service": "${services:pipe}"}', want: ['{"target": "versions", "service": "checkout|search"}'] },
    { name: 'regex', text: '{"target": "versions", "service": "${services:regex}"}', want: ['{"target": "versions", "service": "(checkout|search)"}'] },
    {
      name: 'json inside a string stays one valid string',
      text: '{"target": "versions", "service": "${services:json}"}',
      want: ['{"target": "versions", "service": "[\\"checkout\\",\\"search\\"]"}'],
    },
    { name: 'json bare is a JSON value', text: '{"target": "versions", "service": ${services:json}}', want: ['{"target": "versions", "service": ["checkout","search"]}'] },
    {
      name: '"All" is every option: a regex, or one query each',
      text: '{"target": "versions", "service": "$all"}',
      want: ['{"target": "versions", "service": "(checkout|search|payments)"}'],
      split: ['checkout', 'search', 'payments'].map((s) => `{"target": "versions", "service": "${s}"}`),
    },
    { name: '"All" with a custom all value is that value', text: '{"target": "versions", "service": "$customAll"}', want: ['{"target": "versions", "service": ".*"}'] },
    { name: 'quotes in a value stay valid JSON', text: '{"target": "versions", "service": "$odd"}', want: ['{"target": "versions", "service": "a \\"quoted\\" one"}'] },
  ];
  it.each(modes(cases))('$mode: $name', async ({ text, want, mode }) => {
    const { received, res } = await runVariable({ query: text, format: 'json' }, {}, mode);
    expect(received.map((q) => q.query)).toEqual(want);
    for (const q of received) {
      expect(() => JSON.parse(q.query!)).not.toThrow();
      expect(q).toMatchObject({ queryType: QUERY_TYPE_VARIABLE, format: 'json' });
    }
    // Every answer comes back under the one query Grafana ran.
    expect(res.data.map((f) => f.refId)).toEqual(want.map(() => 'variable'));
  });
});

describe('chained variables: the query text in the string format', () => {
  const cases: Case[] = [
    { name: 'one value', text: 'versions of $service', want: ['versions of checkout'] },
    {
      name: "one value, escaped as Grafana's regex format escapes it",
      text: 'versions of $dotted',
      want: ['versions of v1\\.2'],
      split: ['versions of v1.2'],
    },
    {
      name: 'several values: a regex, or one query each',
      text: 'versions of $services',
      want: ['versions of (checkout|search)'],
      split: ['versions of checkout', 'versions of search'],
    },
    { name: '"All" is every option', text: '$all', want: ['(checkout|search|payments)'], split: ['checkout', 'search', 'payments'] },
    { name: 'csv', text: '${services:csv}', want: ['checkout,search'] },
    { name: 'pipe', text: '${services:pipe}', want: ['checkout|search'] },
    { name: 'regex', text: '${services:regex}', want: ['(checkout|search)'] },
    { name: 'json', text: '${services:json}', want: ['["checkout","search"]'] },
    { name: 'a custom all value', text: '$customAll', want: ['.*'] },
  ];
  it.each(modes(cases))('$mode: $name', async ({ text, want, mode }) => {
    const { received } = await runVariable({ query: text, format: 'string' }, {}, mode);
    expect(received.map((q) => q.query)).toEqual(want);
  });

  it('takes the repeated panel or row value over the dashboard one', async () => {
    const { received } = await runVariable({ query: 'versions of $service' }, { service: { text: 'payments', value: 'payments' } });
    expect(received.map((q) => q.query)).toEqual(['versions of payments']);
  });
});

describe('saved variable models', () => {
  it.each([
    {
      name: 'the bare text the oldest JSON datasource saved',
      saved: 'services',
      want: { refId: 'variable', queryType: QUERY_TYPE_VARIABLE, query: 'services', format: 'string' },
    },
    {
      name: "the JSON datasource's model",
      saved: { refId: 'V', query: '{"target": "regions"}', format: 'json' },
      want: { refId: 'V', queryType: QUERY_TYPE_VARIABLE, query: '{"target": "regions"}', format: 'json' },
    },
    {
      name: 'our model, interpolated as a panel query is',
      saved: { target: '$service', payload: { region: 'r-$services' } },
      want: { refId: 'variable', queryType: QUERY_TYPE_VARIABLE, target: 'checkout', payload: { region: 'r-(checkout|search)' } },
    },
  ])('$name reaches the backend as a variable query', async ({ saved, want }) => {
    const { received } = await runVariable(saved);
    expect(received[0]).toMatchObject(want);
    expect(received[0].rangeRaw).toEqual({ from: 'now-1h', to: 'now' });
  });

  it('runs an empty query, which lists everything', async () => {
    const { received } = await runVariable('');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ queryType: QUERY_TYPE_VARIABLE, query: '' });
  });

  it('reads anything else as an empty query rather than failing', () => {
    expect(toVariableQuery(null)).toEqual({ refId: 'variable', queryType: QUERY_TYPE_VARIABLE });
  });

  it('keeps a backend error under the variable', async () => {
    const { res } = await runVariable({ target: 'broken' });
    expect(res.errors?.map((e) => [e.refId, e.message])).toEqual([['variable', 'the service answered 500']]);
  });
});
