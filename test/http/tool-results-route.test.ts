import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { call, type HttpWorld, httpWorld, orgWithKeys } from './support.js';

/** GET /v1/conversations/:id/tool-results: pages, cursors, and bad input as 400 problems. */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] GET /v1/conversations/:id/tool-results`, () => {
    let world: HttpWorld;
    beforeAll(async () => {
      world = await httpWorld(backend);
    });
    afterAll(async () => world.close());

    it('pages every result oldest first; next_after leads to the next page and is null at the end', async () => {
      const org = await orgWithKeys(world.vault, 'tr');
      await world.vault.org(org.orgId).modules.install(manifest('demo/echo'));
      for (let n = 1; n <= 7; n++) {
        const res = await call(world.app, 'POST', '/v1/conversations/paged/invoke', {
          key: org.keys.operator,
          body: { module_id: 'demo/echo', action: 'echo', input: { n } },
        });
        expect(res.statusCode).toBe(200);
      }
      const seen: number[] = [];
      let after = 0;
      for (let pages = 0; pages < 10; pages++) {
        const res = await call(
          world.app,
          'GET',
          `/v1/conversations/paged/tool-results?after=${after}&limit=3`,
          {
            key: org.keys.viewer,
          },
        );
        expect(res.statusCode).toBe(200);
        const body = res.json() as {
          tool_results: { seq: number; ok: boolean; output: { input: { n: number } } }[];
          next_after: number | null;
        };
        for (const t of body.tool_results) {
          expect(t.ok).toBe(true);
          expect(t.output.input.n).toBe(t.seq);
          seen.push(t.seq);
        }
        if (body.next_after === null) break;
        after = body.next_after;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('bad cursors and limits are 400 problems and change nothing', async () => {
      const org = await orgWithKeys(world.vault, 'tr-bad');
      await world.vault.org(org.orgId).modules.install(manifest('demo/echo'));
      await world.vault.org(org.orgId).conversations.invoke('c', { moduleId: 'demo/echo', action: 'echo' });
      const before = await world.vault.org(org.orgId).conversations.toolResults('c');
      for (const query of [
        'limit=0',
        'limit=501',
        'limit=abc',
        'after=-1',
        'after=1.5',
        'after=4294967295',
        'after=99999999999',
        'other=1',
      ]) {
        const res = await call(world.app, 'GET', `/v1/conversations/c/tool-results?${query}`, {
          key: org.keys.viewer,
        });
        expect(res.statusCode, query).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().code).toBe('VALIDATION_FAILED');
      }
      expect(await world.vault.org(org.orgId).conversations.toolResults('c')).toEqual(before);
    });
  });
}
