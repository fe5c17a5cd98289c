import { describe, expect, it } from 'vitest';
import { evaluateJsonPath, JsonPathError, maxMatches, maxPathSegments, parseJsonPath } from './jsonPath.ts';

const doc = {
  data: { ok: true, rate: 0.02, 'app.kubernetes.io/name': 'checkout', "it's": 1, nothing: null },
  checks: [
    { name: 'db', status: 'up', latency: 3 },
    { name: 'cache', status: 'down', latency: 9 },
  ],
  empty: [],
};

const at = (path: string, document: unknown = doc) => evaluateJsonPath(parseJsonPath(path), document);

describe('JSONPath subset: reading', () => {
  it.each([
    ['{$.data.ok}', true],
    ['$.data.rate', 0.02],
    ['{.data.rate}', 0.02],
    ['data.rate', 0.02],
    ["$.data['app.kubernetes.io/name']", 'checkout'],
    ['$["data"]["rate"]', 0.02],
    ["$.data['it\\'s']", 1],
    ['$.checks[0].status', 'up'],
    ['$.checks[-1].name', 'cache'],
    ['{ $.checks[1].latency }', 9],
    ['$', doc],
    ['{$}', doc],
  ])('%s reads one value', (path, expected) => {
    expect(at(path)).toEqual(expected);
  });

  it('a wildcard gives the list of what it matched, in order', () => {
    expect(at('$.checks[*].latency')).toEqual([3, 9]);
    expect(at('{.checks.*.status}')).toEqual(['up', 'down']);
    expect(at('$.data.*')).toEqual([true, 0.02, 'checkout', 1, null]);
  });

  it('a wildcard that matches one value gives that value, as Argo does', () => {
    expect(at('$.checks[*].latency', { checks: [{ latency: 3 }] })).toBe(3);
  });

  it.each([
    '$.data.missing',
    '$.checks[2].status',
    '$.checks[-3]',
    '$.checks.status',
    '$.data.ok.deeper',
    '$.data[0]',
    '$.empty[*]',
    '$.checks[*].missing',
  ])('%s matches nothing: undefined (no data)', (path) => {
    expect(at(path)).toBeUndefined();
  });

  it('a null at the path is read as null (the engine calls it no data)', () => {
    expect(at('$.data.nothing')).toBeNull();
  });

  it("never reaches past the document's own keys", () => {
    expect(at('$.__proto__', JSON.parse('{"a":1}'))).toBeUndefined();
    expect(at('$.constructor.name', {})).toBeUndefined();
    expect(at('$.toString', {})).toBeUndefined();
    expect(at('$.length', [1, 2])).toBeUndefined();
    // A "__proto__" key that JSON.parse made an own property is data like any other.
    expect(at("$['__proto__'].x", JSON.parse('{"__proto__":{"x":7}}'))).toBe(7);
  });

  it('reads into a scalar document only with $', () => {
    expect(at('$', 42)).toBe(42);
    expect(at('$.a', 42)).toBeUndefined();
  });
});

describe('JSONPath subset: what it refuses', () => {
  it.each([
    ['{$.a', /does not close/],
    ['{$.a}{$.b}', /only one/],
    ['$..a', /recursive descent/],
    ['$.checks[?(@.status=="up")]', /filters/],
    ['$.checks[0:2]', /slices and unions/],
    ['$.checks[0,1]', /slices and unions/],
    ["$['a]", /not closed/],
    ['$.', /key after '.'/],
    ['$.a b', /unexpected " "/],
    ['$a', /unexpected "a"/],
  ])('%s is refused with a reason', (path, reason) => {
    expect(() => parseJsonPath(path)).toThrow(JsonPathError);
    expect(() => parseJsonPath(path)).toThrow(reason);
  });

  it('the error names the offset and the path as written', () => {
    expect(() => parseJsonPath('$.a..b')).toThrow('at offset 3 of "$.a..b"');
  });

  it(`a path of more than ${maxPathSegments} segments is refused`, () => {
    expect(() => parseJsonPath(`$${'.a'.repeat(maxPathSegments)}`)).not.toThrow();
    expect(() => parseJsonPath(`$${'.a'.repeat(maxPathSegments + 1)}`)).toThrow(/more than 32 segments/);
  });

  it(`a path matching more than ${maxMatches} values is refused, not collected`, () => {
    const wide = { rows: Array.from({ length: 200 }, () => Array.from({ length: 60 }, (_, i) => i)) };
    expect(() => at('$.rows[*][*]', wide)).toThrow(/more than 10000 values/);
    expect((at('$.rows[*][0]', wide) as number[]).length).toBe(200);
  });
});
