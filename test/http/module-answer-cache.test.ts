import { describe, expect, it } from 'vitest';
import { ModuleAnswerCache } from '../../src/http/module-answer-cache.js';
import type { Storage } from '../../src/storage/storage.js';

function fakeStorage(withToken: boolean): Storage & { bump(): void } {
  let version = 0;
  const base = {
    capabilities: { engine: 'sqlite' },
    transaction: async () => undefined,
    read: async () => undefined,
    close: async () => {},
    bump: () => {
      version += 1;
    },
  } as unknown as Storage & { bump(): void };
  if (withToken) base.changeToken = () => `v${version}`;
  return base;
}

describe('ModuleAnswerCache', () => {
  it('serves a body only under the token it was built with', () => {
    const storage = fakeStorage(true);
    const cache = new ModuleAnswerCache(storage);
    const t = cache.token();
    expect(cache.get('acme', t)).toBeNull();
    cache.set('acme', t, Buffer.from('{"modules":[]}'));
    expect(cache.get('acme', cache.token())?.toString()).toBe('{"modules":[]}');
    expect(cache.get('globex', cache.token())).toBeNull();
    storage.bump();
    expect(cache.get('acme', cache.token())).toBeNull();
  });

  it('never caches without the capability', () => {
    const cache = new ModuleAnswerCache(fakeStorage(false));
    expect(cache.token()).toBeNull();
    cache.set('acme', cache.token(), Buffer.from('x'));
    expect(cache.get('acme', cache.token())).toBeNull();
  });

  it('stays within its bounds', () => {
    const cache = new ModuleAnswerCache(fakeStorage(true));
    const t = cache.token();
    const big = Buffer.alloc(6 * 1024 * 1024);
    cache.set('a', t, big);
    cache.set('b', t, big);
    cache.set('c', t, big); // over 16 MiB: starts over with c alone
    expect(cache.get('a', t)).toBeNull();
    expect(cache.get('c', t)).toBe(big);
    for (let i = 0; i < 1500; i++) cache.set(`org-${i}`, t, Buffer.from('{}'));
    expect(cache.get('org-1499', t)?.toString()).toBe('{}');
    expect(cache.get('org-0', t)).toBeNull();
  });
});
