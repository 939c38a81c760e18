import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AdHocVariableFilter } from '@grafana/data';

import { DataSource } from './datasource';
import { instanceSettings } from './test/instance';
import { fakeTemplateSrv } from './test/templateSrv';
import { Query } from './types';

const newDatasource = () => new DataSource(instanceSettings(), fakeTemplateSrv({ region: 'eu-west' }));

it('plugin.json tells Grafana the data source takes multi-value ad hoc filters (=| and !=|)', () => {
  const manifest = JSON.parse(readFileSync(resolve(__dirname, 'plugin.json'), 'utf8')) as Record<string, unknown>;
  expect(manifest.multiValueFilterOperators).toBe(true);
});

describe('multi-value ad hoc filters reach the service in the regex form the JSON datasource sends', () => {
  // As Grafana's AdHocFiltersVariable hands them over: the first value in `value`, all in `values`.
  const cases: Array<{ name: string; filters: AdHocVariableFilter[]; want: Query['adhocFilters'] }> = [
    {
      name: 'one of several values: =~ with an alternation of escaped values',
      filters: [{ key: 'host', operator: '=|', value: 'web-1.dc', values: ['web-1.dc', 'web-2.dc'] }],
      want: [{ key: 'host', operator: '=~', value: '(web-1\\.dc|web-2\\.dc)' }],
    },
    {
      name: 'none of several values: !~',
      filters: [{ key: 'code', operator: '!=|', value: '5xx', values: ['5xx', '4xx'] }],
      want: [{ key: 'code', operator: '!~', value: '(5xx|4xx)' }],
    },
    {
      name: 'a single value chosen under a multi-value operator',
      filters: [{ key: 'host', operator: '=|', value: 'web-1', values: ['web-1'] }],
      want: [{ key: 'host', operator: '=~', value: '(web-1)' }],
    },
    {
      name: 'no values list: the value',
      filters: [{ key: 'host', operator: '=|', value: 'a+b' }],
      want: [{ key: 'host', operator: '=~', value: '(a\\+b)' }],
    },
    {
      name: 'other filters beside it kept as they are, in order',
      filters: [
        { key: 'region', operator: '=', value: '$region' },
        { key: 'host', operator: '=|', value: 'a', values: ['a', 'b'] },
      ],
      want: [
        { key: 'region', operator: '=', value: 'eu-west' },
        { key: 'host', operator: '=~', value: '(a|b)' },
      ],
    },
  ];
  it.each(cases)('$name', ({ filters, want }) => {
    const got = newDatasource().applyTemplateVariables({ refId: 'A', target: 'cpu' }, {}, filters);
    expect(got.adhocFilters).toEqual(want);
  });
});
