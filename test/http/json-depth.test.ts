import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../src/http/json-depth.js';

describe('jsonDepthExceeds', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDepthExceeds('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[1,{"b":[2]}]}', 3)).toBe(true);
    expect(jsonDepthExceeds(`{"s":"${'['.repeat(500)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`{"s":"\\"${'{'.repeat(500)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe(true);
    expect(jsonDepthExceeds('"plain"')).toBe(false);
  });
});
