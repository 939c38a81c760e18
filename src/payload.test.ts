import { errorMessage, parsePayload, withField } from './payload';

describe('parsePayload', () => {
  it.each([
    { payload: undefined, fields: {}, error: false },
    { payload: '', fields: {}, error: false },
    { payload: { a: 'b' }, fields: { a: 'b' }, error: false },
    { payload: '{"a": ["x", "y"]}', fields: { a: ['x', 'y'] }, error: false },
    { payload: '{"a": ', fields: {}, error: true },
    { payload: '[1]', fields: {}, error: true },
    { payload: '"text"', fields: {}, error: true },
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
