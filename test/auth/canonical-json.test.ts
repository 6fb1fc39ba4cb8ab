import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/canonical-json.js';
import { assertProperty } from '../support/property-runs.js';

/**
 * canonicalJson is a stored format (audit hashes, credential destination digests): a faster
 * implementation must give exactly the text of the first one, kept here as the reference.
 */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`)
    .join(',')}}`;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: undefined, '10': true, '9': false } })).toBe(
      '{"a":{"10":true,"9":false,"d":[1,"x",null]},"b":1}',
    );
  });

  it('gives the reference text for any JSON-like value, undefined members and items included', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.string(),
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
      ),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object')),
      array: fc.array(tie('node'), { maxLength: 5 }),
      object: fc.dictionary(fc.string(), tie('node'), { maxKeys: 5 }),
    })).node;
    assertProperty(
      fc.property(value, (v) => canonicalJson(v) === reference(v)),
      { numRuns: 500 },
    );
  });

  it('gives the reference text for sparse arrays and values JSON cannot hold', () => {
    const sparse = new Array<number>(3);
    sparse[0] = 1;
    sparse[2] = 3;
    const odd = [undefined, () => 1, Symbol('s'), { f: () => 1 }, new Date(0), sparse];
    expect(canonicalJson(odd)).toBe(reference(odd));
  });
});
