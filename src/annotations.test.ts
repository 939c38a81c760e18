import { AnnotationQuery } from '@grafana/data';

import { annotationSource, prepareAnnotation, prepareQuery } from './annotationQuery';
import { DataSource } from './datasource';
import { QUERY_TYPE_ANNOTATIONS } from './names';
import { instanceSettings } from './test/instance';
import { answer, queryBackend, request } from './test/query';
import { fakeTemplateSrv } from './test/templateSrv';
import { Query } from './types';

type Anno = AnnotationQuery<Query>;

// Saved as Grafana saves them: the JSON datasource's (a target) and SimpleJSON's (query text).
const JSON_DATASOURCE: Anno = {
  name: 'Deployments',
  enable: true,
  iconColor: 'red',
  datasource: { type: 'inhouse-metrics-datasource', uid: 'inhouse-uid' },
  target: { refId: 'Anno', target: 'deploy_events', payload: '{"service": "$service"}' },
};
const SIMPLE_JSON: Anno = { name: 'Releases', enable: true, iconColor: '#F2CC0C', query: '$service' };

describe('prepareAnnotation', () => {
  it('leaves a saved target as it is, the same object, so Grafana does not save it again', () => {
    expect(prepareAnnotation(JSON_DATASOURCE)).toBe(JSON_DATASOURCE);
    const empty: Anno = { name: 'New', enable: true, iconColor: 'red' };
    expect(prepareAnnotation(empty)).toBe(empty);
  });

  it("moves a SimpleJSON annotation's query text into the target the editor edits", () => {
    const prepared = prepareAnnotation(SIMPLE_JSON);
    expect(prepared).toEqual({
      name: 'Releases',
      enable: true,
      iconColor: '#F2CC0C',
      target: { refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, query: '$service' },
    });
    expect(prepareAnnotation(prepared)).toBe(prepared);
  });
});

describe('prepareQuery', () => {
  it.each<{ name: string; anno: Anno; want: Query | undefined }>([
    {
      name: "the JSON datasource's: its target, as an annotation query",
      anno: JSON_DATASOURCE,
      want: { refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, target: 'deploy_events', payload: '{"service": "$service"}' },
    },
    {
      name: "SimpleJSON's: the text with the annotation's name, enable and color",
      anno: prepareAnnotation(SIMPLE_JSON),
      want: { refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, query: '$service', name: 'Releases', enable: true, iconColor: '#F2CC0C' },
    },
    {
      name: 'text beside an empty metric and defaults: the text, without metric fields',
      anno: { name: 'R', enable: true, iconColor: 'red', target: { refId: 'Anno', target: '', payload: {}, format: 'table', query: 'checkout' } },
      want: { refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, query: 'checkout', name: 'R', enable: true, iconColor: 'red' },
    },
    { name: 'no target: skipped', anno: { name: 'N', enable: true, iconColor: 'red' }, want: undefined },
    { name: 'no metric chosen yet: skipped', anno: { name: 'N', enable: true, iconColor: 'red', target: { refId: 'Anno', target: ' ' } }, want: undefined },
  ])('$name', ({ anno, want }) => {
    expect(prepareQuery(anno)).toEqual(want);
  });

  it.each([
    [{ target: 'deploy_events' }, 'metric'],
    [{ target: 'deploy_events', query: 'x' }, 'metric'],
    [{ query: '' }, 'text'],
    [{ target: '', query: 'x' }, 'text'],
    [{}, 'metric'],
  ])('%j asks by %s, as the backend decides', (q, want) => {
    expect(annotationSource(q as Query)).toBe(want);
  });
});

describe('annotation queries through query()', () => {
  // As Grafana runs one: prepareAnnotation, prepareQuery, then query() with refId Anno.
  async function run(anno: Anno, vars = { service: ['checkout', 'search'] }, multiValue?: 'split') {
    const ds = new DataSource(instanceSettings({ multiValue }), fakeTemplateSrv(vars));
    const received = queryBackend();
    const support = ds.annotations!;
    const query = support.prepareQuery!(support.prepareAnnotation!(anno));
    const res = await answer(ds.query(request([{ ...query!, refId: 'Anno' }])));
    return { received, res };
  }

  it("runs the JSON datasource's model as a metric, interpolated, one query with the regex", async () => {
    const { received, res } = await run(JSON_DATASOURCE);
    expect(received.map((q) => [q.queryType, q.target, q.payload])).toEqual([[QUERY_TYPE_ANNOTATIONS, 'deploy_events', '{"service": "(checkout|search)"}']]);
    expect(res.data.map((f) => f.refId)).toEqual(['Anno']);
  });

  it("runs the JSON datasource's model as a metric, one query per value in the split mode", async () => {
    const { received, res } = await run(JSON_DATASOURCE, undefined, 'split');
    expect(received.map((q) => [q.queryType, q.target, q.payload, q.rangeRaw])).toEqual([
      [QUERY_TYPE_ANNOTATIONS, 'deploy_events', '{"service": "checkout"}', { from: 'now-1h', to: 'now' }],
      [QUERY_TYPE_ANNOTATIONS, 'deploy_events', '{"service": "search"}', { from: 'now-1h', to: 'now' }],
    ]);
    expect(res.data.map((f) => f.refId)).toEqual(['Anno', 'Anno']);
  });

  it("runs SimpleJSON's model as query text, with its settings", async () => {
    const { received } = await run(SIMPLE_JSON, { service: ['checkout'] });
    expect(received).toEqual([
      expect.objectContaining({ refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, query: 'checkout', name: 'Releases', enable: true, iconColor: '#F2CC0C' }),
    ]);
    // As sent: JSON leaves out what is undefined.
    expect(JSON.parse(JSON.stringify(received[0]))).not.toHaveProperty('target');
  });

  it("runs SimpleJSON text with several values once, in Grafana's glob format as SimpleJSON sent it, and empty text too (every event)", async () => {
    expect((await run(SIMPLE_JSON)).received.map((q) => q.query)).toEqual(['{checkout,search}']);
    expect((await run(SIMPLE_JSON, { service: ['a.b'] })).received.map((q) => q.query)).toEqual(['a.b']);
    expect((await run({ ...SIMPLE_JSON, query: '' })).received.map((q) => q.query)).toEqual(['']);
  });

  it('runs SimpleJSON text with several values once per value in the split mode', async () => {
    expect((await run(SIMPLE_JSON, undefined, 'split')).received.map((q) => q.query)).toEqual(['checkout', 'search']);
    expect((await run({ ...SIMPLE_JSON, query: '' })).received.map((q) => q.query)).toEqual(['']);
  });
});
