import { AdHocVariableFilter, AppEvents, dateTime, EventBusSrv, ScopedVars } from '@grafana/data';
import { setAppEvents } from '@grafana/runtime';

import { DataSource, NO_TAG_KEYS } from './datasource';
import { installBackend } from './test/backendSrv';
import { instanceSettings } from './test/instance';
import { answer, queryBackend, request } from './test/query';
import { fakeTemplateSrv, Vars } from './test/templateSrv';
import { Query } from './types';

const VARS: Vars = {
  region: 'eu-west',
  regions: ['eu-west', 'us-east'],
  hosts: ['web-1.dc', 'web-2.dc'],
  services: ['checkout', 'search'],
  limit: '5',
};

const newDatasource = (multiValue?: string) => new DataSource(instanceSettings({ multiValue }), fakeTemplateSrv(VARS));
const filter = (key: string, operator: string, value: string, condition?: string): AdHocVariableFilter =>
  condition === undefined ? { key, operator, value } : { key, operator, value, condition };

describe('applyTemplateVariables copies the ad hoc filters into the query', () => {
  const cases: Array<{ name: string; filters: AdHocVariableFilter[]; scopedVars?: ScopedVars; want: Query['adhocFilters'] }> = [
    {
      name: 'every operator kept as it is',
      filters: ['=', '!=', '=~', '!~', '<', '>'].map((op) => filter('region', op, 'eu-west')),
      want: ['=', '!=', '=~', '!~', '<', '>'].map((op) => ({ key: 'region', operator: op, value: 'eu-west' })),
    },
    {
      name: 'a condition kept; an empty one, as Grafana leaves it, left out',
      filters: [filter('region', '=', 'eu-west', ''), filter('service', '=', 'search', 'OR')],
      want: [
        { key: 'region', operator: '=', value: 'eu-west' },
        { key: 'service', operator: '=', value: 'search', condition: 'OR' },
      ],
    },
    { name: 'a variable in a value', filters: [filter('region', '=', '$region')], want: [{ key: 'region', operator: '=', value: 'eu-west' }] },
    {
      name: 'several values under a regular expression operator: an alternation of escaped values',
      filters: [filter('host', '=~', '$hosts'), filter('host', '!~', 'x-${hosts}')],
      want: [
        { key: 'host', operator: '=~', value: '(web-1\\.dc|web-2\\.dc)' },
        { key: 'host', operator: '!~', value: 'x-(web-1\\.dc|web-2\\.dc)' },
      ],
    },
    {
      name: 'several values under another operator: joined with commas',
      filters: [filter('region', '!=', '$regions')],
      want: [{ key: 'region', operator: '!=', value: 'eu-west,us-east' }],
    },
    {
      name: 'a format written in the value wins',
      filters: [filter('service', '=~', '${services:pipe}'), filter('n', '<', '$limit')],
      want: [
        { key: 'service', operator: '=~', value: 'checkout|search' },
        { key: 'n', operator: '<', value: '5' },
      ],
    },
    {
      name: 'a repeated panel value wins',
      filters: [filter('region', '=', '$region')],
      scopedVars: { region: { text: 'us-east', value: 'us-east' } },
      want: [{ key: 'region', operator: '=', value: 'us-east' }],
    },
    { name: 'a filter without a key is not one', filters: [filter('', '=', 'x')], want: undefined },
  ];
  it.each(cases)('$name', ({ filters, scopedVars = {}, want }) => {
    const got = newDatasource().applyTemplateVariables({ refId: 'A', target: 'cpu' }, scopedVars, filters);
    expect(got.adhocFilters).toEqual(want);
  });

  it('adds nothing when the dashboard has no filters', () => {
    expect(newDatasource().applyTemplateVariables({ refId: 'A', target: 'cpu' }, {}, [])).not.toHaveProperty('adhocFilters');
    expect(newDatasource().applyTemplateVariables({ refId: 'A', target: 'cpu' }, {})).not.toHaveProperty('adhocFilters');
  });

  it('gives Explore the filters too', () => {
    const got = newDatasource().interpolateVariablesInQueries([{ refId: 'A', target: '$services' }], {}, [filter('region', '=', '$region')]);
    expect(got.map((q) => [q.target, q.adhocFilters])).toEqual([['(checkout|search)', [{ key: 'region', operator: '=', value: 'eu-west' }]]]);
  });
});

describe('what the backend receives', () => {
  it('the one query of the regex mode carries the filters and the relative range', async () => {
    const received = queryBackend();
    await answer(newDatasource().query(request([{ target: '$services' }], { filters: [filter('region', '=~', '$regions')] })));
    expect(received.map((q) => [q.refId, q.target, q.adhocFilters, q.rangeRaw])).toEqual([
      ['A', '(checkout|search)', [{ key: 'region', operator: '=~', value: '(eu-west|us-east)' }], { from: 'now-1h', to: 'now' }],
    ]);
  });

  it('every query a split makes carries the filters and the relative range', async () => {
    const received = queryBackend();
    await answer(
      newDatasource('split').query(request([{ target: '$services', payload: { region: '$region' } }], { filters: [filter('region', '=~', '$regions')] }))
    );
    expect(received.map((q) => [q.refId, q.target, q.adhocFilters, q.rangeRaw])).toEqual([
      ['A', 'checkout', [{ key: 'region', operator: '=~', value: '(eu-west|us-east)' }], { from: 'now-1h', to: 'now' }],
      ['A-2', 'search', [{ key: 'region', operator: '=~', value: '(eu-west|us-east)' }], { from: 'now-1h', to: 'now' }],
    ]);
  });

  it('sends no rangeRaw for an absolute range, whose ends the backend already has', async () => {
    const received = queryBackend();
    const from = dateTime('2026-11-24T06:00:00Z');
    const to = dateTime('2026-11-24T12:00:00Z');
    await answer(newDatasource().query(request([{ target: 'cpu' }], { range: { from, to, raw: { from, to } } })));
    expect(received[0]).not.toHaveProperty('rangeRaw');
  });
});

describe('tag keys and values for ad hoc filters', () => {
  let events: string[][];
  beforeEach(() => {
    const bus = new EventBusSrv();
    events = [];
    // Grafana shows app events of this type as a warning toast.
    bus.on(AppEvents.alertWarning, (payload) => events.push(payload as string[]));
    setAppEvents(bus);
  });

  it('asks the tag-keys route and answers MetricFindValues', async () => {
    const calls = installBackend(() => ({ status: 200, data: [{ text: 'service', value: 'service' }, { text: 'region' }, 'zone', { nothing: 1 }] }));
    expect(await newDatasource().getTagKeys()).toEqual([
      { text: 'service', value: 'service' },
      { text: 'region', value: 'region' },
      { text: 'zone', value: 'zone' },
    ]);
    expect(calls).toEqual([{ url: '/api/datasources/uid/inhouse-uid/resources/tag-keys', method: 'POST', data: {} }]);
    expect(events).toEqual([]);
  });

  it('asks the tag-values route with the key', async () => {
    const calls = installBackend(() => ({ status: 200, data: [{ text: 'eu-west', value: 'eu-west' }] }));
    expect(await newDatasource().getTagValues({ key: 'region' })).toEqual([{ text: 'eu-west', value: 'eu-west' }]);
    expect(calls).toEqual([{ url: '/api/datasources/uid/inhouse-uid/resources/tag-values', method: 'POST', data: { key: 'region' } }]);
  });

  // As Grafana calls them: the ad hoc variable passes the dashboard's range and
  // the other filters (getTagValues: those besides the one being edited).
  const from = dateTime('2026-11-24T06:00:00Z');
  const to = dateTime('2026-11-24T12:00:00Z');
  const sentRange = { from: '2026-11-24T06:00:00.000Z', to: '2026-11-24T12:00:00.000Z' };
  const service: AdHocVariableFilter = { key: 'service', operator: '=', value: 'checkout' };
  it.each([
    {
      name: 'keys, with a relative range and a filter',
      call: (ds: DataSource) => ds.getTagKeys({ timeRange: { from, to, raw: { from: 'now-6h', to: 'now' } }, filters: [service] }),
      path: 'tag-keys',
      data: { range: { ...sentRange, raw: { from: 'now-6h', to: 'now' } }, adhocFilters: [{ key: 'service', operator: '=', value: 'checkout' }] },
    },
    {
      name: 'values, with an absolute range and a filter',
      call: (ds: DataSource) => ds.getTagValues({ key: 'region', timeRange: { from, to, raw: { from, to } }, filters: [service] }),
      path: 'tag-values',
      data: { key: 'region', range: { ...sentRange, raw: sentRange }, adhocFilters: [{ key: 'service', operator: '=', value: 'checkout' }] },
    },
    {
      name: 'values, a variable in a filter interpolated',
      call: (ds: DataSource) =>
        ds.getTagValues({ key: 'region', filters: [{ key: 'service', operator: '=~', value: '$services' }] }),
      path: 'tag-values',
      data: { key: 'region', adhocFilters: [{ key: 'service', operator: '=~', value: '(checkout|search)' }] },
    },
    {
      name: 'keys, with neither',
      call: (ds: DataSource) => ds.getTagKeys({ filters: [] }),
      path: 'tag-keys',
      data: {},
    },
  ])('sends the range and the other filters: $name', async ({ call, path, data }) => {
    const calls = installBackend(() => ({ status: 200, data: [{ text: 'x' }] }));
    await call(newDatasource());
    expect(calls).toEqual([{ url: `/api/datasources/uid/inhouse-uid/resources/${path}`, method: 'POST', data }]);
  });

  it('says once, to the user, that the service offers no keys', async () => {
    installBackend(() => ({ status: 200, data: [] }));
    const ds = newDatasource();
    expect(await ds.getTagKeys()).toEqual([]);
    expect(await ds.getTagKeys()).toEqual([]);
    expect(events).toEqual([[NO_TAG_KEYS.title, NO_TAG_KEYS.text]]);
    expect(NO_TAG_KEYS.text).toMatch(/tag keys/);
  });

  it('treats a null answer as no values', async () => {
    installBackend(() => ({ status: 200, data: null }));
    expect(await newDatasource().getTagValues({ key: 'region' })).toEqual([]);
  });

  it('lets Grafana show a failure, which is no empty list', async () => {
    installBackend(() => ({ status: 502, data: { error: 'the service answered 500' } }));
    await expect(newDatasource().getTagKeys()).rejects.toMatchObject({ data: { error: 'the service answered 500' } });
    expect(events).toEqual([]);
  });
});
