import { errorMessage, parsePayload, payloadText, readPayloadText, undeclaredKeys, withField } from './payload';
import { Query } from './types';

describe('parsePayload', () => {
  it.each([
    { payload: undefined, fields: {}, error: false },
    { payload: '', fields: {}, error: false },
    { payload: { a: 'b' }, fields: { a: 'b' }, error: false },
    { payload: '{"a": ["x", "y"]}', fields: { a: ['x', 'y'] }, error: false },
    { payload: '{"a": ', fields: {}, error: true },
    { payload: '[1]', fields: {}, error: true },
    { payload: '"text"', fields: {}, error: true },
    { payload: '{"hosts": $hosts}', fields: {}, error: true },
  ])('$payload', ({ payload, fields, error }) => {
    const got = parsePayload(payload);
    expect(got.fields).toEqual(fields);
    expect(Boolean(got.error)).toBe(error);
  });
});

it('withField removes emptied fields and keeps the others', () => {
  expect(withField({ a: '1', b: ['x'] }, 'b', [])).toEqual({ a: '1' });
  expect(withField({ a: '1' }, 'a', '')).toEqual({});
  expect(withField({ a: '1' }, 'c', 'z')).toEqual({ a: '1', c: 'z' });
});

it.each([
  [{ data: { error: 'no route' }, status: 404 }, 'no route'],
  [{ data: { message: 'Plugin unavailable' } }, 'Plugin unavailable'],
  [new Error('network down'), 'network down'],
  [{ status: 502 }, 'the backend answered with status 502'],
  [undefined, 'unknown error'],
])('errorMessage %#', (err, want) => expect(errorMessage(err)).toBe(want));

describe('readPayloadText', () => {
  it.each<{ name: string; text: string; saved: Query['payload']; payload: Query['payload']; valid: boolean }>([
    { name: 'empty text is no payload', text: '  ', saved: { a: 1 }, payload: {}, valid: true },
    { name: 'an object stays an object', text: '{"a": 2}', saved: { a: 1 }, payload: { a: 2 }, valid: true },
    { name: 'text saved by the JSON datasource stays text', text: '{"a": 2}', saved: '{"a": 1}', payload: '{"a": 2}', valid: true },
    { name: 'invalid JSON is kept as typed', text: '{"a": ', saved: { a: 1 }, payload: '{"a": ', valid: false },
    { name: 'a list is kept as typed', text: '[1]', saved: {}, payload: '[1]', valid: false },
    { name: 'JSON once variables are replaced runs', text: '{"hosts": $hosts}', saved: {}, payload: '{"hosts": $hosts}', valid: true },
    { name: 'a ${var} reference counts too', text: '{"n": ${limit}}', saved: {}, payload: '{"n": ${limit}}', valid: true },
  ])('$name', ({ text, saved, payload, valid }) => {
    expect(readPayloadText(text, saved)).toEqual({ payload, valid });
  });
});

it.each<{ payload: Query['payload']; text: string }>([
  { payload: undefined, text: '{}' },
  { payload: {}, text: '{}' },
  { payload: { a: ['x'] }, text: '{\n  "a": [\n    "x"\n  ]\n}' },
  { payload: '{"a": $x}', text: '{"a": $x}' },
])('payloadText $payload', ({ payload, text }) => expect(payloadText(payload)).toBe(text));

it('undeclaredKeys keeps the payload order and leaves out declared fields', () => {
  expect(undeclaredKeys({ z: 1, region: 'eu', a: 2 }, [{ name: 'region' }, { name: 'zone' }])).toEqual(['z', 'a']);
});

it('says a payload with variables is sent with them replaced', () => {
  expect(parsePayload('{"hosts": $hosts}').error).toMatch(/sent with the dashboard's variables replaced/);
  expect(parsePayload('{"hosts": ').error).toMatch(/Fix the text below/);
});
