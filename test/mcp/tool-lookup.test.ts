import { describe, expect, it } from 'vitest';
import { candidateModuleIds, toolName } from '../../src/mcp/tool-catalogue.js';

/**
 * tools/call reads only the rows of the modules a tool name could belong to; every catalogue name
 * must have its own module among those candidates, whatever `__` and `_` its parts hold.
 */
describe('candidateModuleIds', () => {
  it('reads a plain name one way', () => {
    expect(candidateModuleIds('demo__echo__echo')).toEqual(['demo/echo']);
    expect(candidateModuleIds('weather__openweather__current')).toEqual(['weather/openweather']);
  });

  it('reads every way when parts hold `__`, and leaves out invalid ids', () => {
    expect(candidateModuleIds('a__b__c__d').sort()).toEqual(['a/b', 'a/b__c', 'a__b/c'].sort());
    expect(candidateModuleIds('nothing-here')).toEqual([]);
    expect(candidateModuleIds('a__b')).toEqual([]);
  });

  it("always includes the module of any tool's name", () => {
    const parts = ['a', 'a_', 'a__b', 'x-y', 'a___', 'b__', '0', 'c_d__e'];
    const actions = ['echo', '', '_', '__', 'a__b', 'get_x', '__x'];
    for (const category of parts) {
      for (const platform of parts) {
        const moduleId = `${category}/${platform}`;
        for (const action of actions) {
          expect(candidateModuleIds(toolName(moduleId, action))).toContain(moduleId);
        }
      }
    }
  });

  it('finds modules whose parts have the longest names allowed, `__` included', () => {
    const category = `c${'__x'.repeat(21)}`; // 64 characters
    const platform = `p${'_'.repeat(62)}q`; // 64 characters
    for (const action of ['run', '__', 'a__b']) {
      expect(candidateModuleIds(toolName(`${category}/${platform}`, action))).toContain(
        `${category}/${platform}`,
      );
    }
    expect(candidateModuleIds(`${category}x__p__run`)).not.toContain(`${category}x/p`);
  });

  it('answers a hostile name as long as a request body allows at once (every pair of `__` would take hours)', () => {
    // Without the bound on part lengths this never returns within the test's timeout.
    expect(candidateModuleIds(`a${'_'.repeat(60_000)}`)).toEqual([]);
    const ids = candidateModuleIds(`a${'__b'.repeat(20_000)}`);
    expect(ids).toContain('a/b');
    expect(ids.every((id) => id.split('/').every((part) => part.length <= 64))).toBe(true);
  });
});
