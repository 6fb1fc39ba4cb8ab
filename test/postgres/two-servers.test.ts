import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import {
  freshPostgresDatabase,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type PostgresDatabase,
} from '../support/postgres.js';
import { type ServeNode as Node, startNode } from '../support/serve-node.js';

const REDIS_URL = process.env.ORGVAULT_TEST_REDIS_URL?.trim() || undefined;
const LIMIT = 40;

async function call(
  node: Node,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${node.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/**
 * Two `orgvault serve` processes on one PostgreSQL (and one Redis when configured): nothing a
 * request depends on lives in one node's memory.
 */
describe.skipIf(!POSTGRES_URL)(
  `two orgvault serve processes on one PostgreSQL${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let db: PostgresDatabase;
    let a: Node;
    let b: Node;
    let owner: string;

    beforeAll(async () => {
      db = await freshPostgresDatabase();
      const env: Record<string, string> = {
        ...db.env,
        ORGVAULT_RATE_LIMIT_PER_MINUTE: String(LIMIT),
        ORGVAULT_LOG_LEVEL: 'info',
        ...(REDIS_URL ? { ORGVAULT_REDIS_URL: REDIS_URL } : {}),
      };
      const vault = await openVault({ ...db.options, warn: () => {} });
      owner = (await vault.auth.bootstrap()).apiKey;
      await vault.close();
      [a, b] = await Promise.all([startNode(env), startNode(env)]);
    }, 120_000);

    afterAll(async () => {
      for (const node of [a, b]) {
        if (!node) continue;
        const exited = new Promise((r) => node.child.once('exit', r));
        node.child.kill('SIGTERM');
        await exited;
      }
      await db?.dispose();
    }, 60_000);

    it('a module installed through one node is listed by the other', async () => {
      const put = await call(a, 'PUT', '/v1/modules/weather/openweather', owner, {
        name: 'openweather',
        category: 'weather',
        platform: 'openweather',
        version: '1.0.0',
      });
      expect(put.status).toBe(201);
      const list = await call(b, 'GET', '/v1/modules', owner);
      expect(list.status).toBe(200);
      const body = (await list.json()) as { modules: { module_id: string }[] };
      expect(body.modules.map((m) => m.module_id)).toEqual(['weather/openweather']);
    });

    it('a key revoked through one node is refused by the other within 1 second', async () => {
      const created = await call(a, 'POST', '/v1/api-keys', owner, { role: 'viewer', name: 'doomed' });
      expect(created.status).toBe(201);
      const { api_key: doomed, key_id: keyId } = (await created.json()) as {
        api_key: string;
        key_id: string;
      };
      expect((await call(b, 'GET', '/v1/me', doomed)).status).toBe(200);

      expect((await call(a, 'DELETE', `/v1/api-keys/${keyId}`, owner)).status).toBe(204);
      const revokedAt = Date.now();
      let status = 0;
      while (Date.now() - revokedAt < 1000) {
        status = (await call(b, 'GET', '/v1/me', doomed)).status;
        if (status === 401) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(1000);
    });

    it.skipIf(!REDIS_URL)(
      `with Redis, one key's limit holds across both nodes (margin 0: check-and-record is one atomic script)${REDIS_URL ? '' : ' (SKIPPED: ORGVAULT_TEST_REDIS_URL not set)'}`,
      async () => {
        const created = await call(a, 'POST', '/v1/api-keys', owner, { role: 'viewer', name: 'busy' });
        const { api_key: busy } = (await created.json()) as { api_key: string };
        const statuses = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            call(i % 2 === 0 ? a : b, 'GET', '/v1/me', busy).then((r) => r.status),
          ),
        );
        const accepted = statuses.filter((s) => s === 200).length;
        expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
        expect(accepted).toBeLessThanOrEqual(LIMIT);
        expect(accepted).toBe(LIMIT);
      },
    );
  },
);
