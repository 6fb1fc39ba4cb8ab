import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { json, ModuleServer } from '../agent/support/module-server.js';
import { providerRedirect } from '../oauth/support/oauth-world.js';
import { TestProvider } from '../oauth/support/provider.js';
import {
  freshPostgresDatabase,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type PostgresDatabase,
} from '../support/postgres.js';
import { type ServeNode as Node, startNode } from '../support/serve-node.js';

const M = 'calendar/gcal';
/**
 * How long the token endpoint takes to answer: long enough that the two nodes' refreshes overlap
 * for certain (without the database lock both would reach the provider), short for a test.
 */
const TOKEN_LATENCY_MS = 400;

/** A slow front for the provider's token endpoint (forwards every request after TOKEN_LATENCY_MS). */
async function slowTokenEndpoint(target: string): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await new Promise((r) => setTimeout(r, TOKEN_LATENCY_MS));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host') headers[k] = v;
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: Buffer.concat(chunks),
    });
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * Two `orgvault serve` processes on one PostgreSQL, ten invocations split between them while the
 * token is about to expire: exactly one refresh request reaches the provider (the advisory lock
 * per (org, module) holds across processes; the waiting node reuses the stored result).
 */
describe.skipIf(!POSTGRES_URL)(
  `OAuth2 refresh single flight across two serve processes${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let db: PostgresDatabase;
    let nodes: Node[] = [];
    let provider: TestProvider;
    let upstream: ModuleServer;
    let front: { server: Server; url: string };
    let owner: string;

    beforeAll(async () => {
      db = await freshPostgresDatabase();
      provider = await new TestProvider(() => Date.now()).start();
      front = await slowTokenEndpoint(provider.url);
      upstream = await new ModuleServer()
        .route('GET', '/events', (req, res) => {
          const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
          return provider.check(token).ok ? json(res, 200, { events: [] }) : json(res, 401, {});
        })
        .start();
      const publicUrl = 'http://orgvault.test';
      const vault = await openVault({ ...db.options, httpAllowPrivate: true, publicUrl, warn: () => {} });
      owner = (await vault.auth.bootstrap()).apiKey;
      provider.register('client-two', 'secret-two-0123456789', 'default');
      await vault.org().modules.install({
        name: 'gcal',
        category: 'calendar',
        platform: 'gcal',
        version: '1.0.0',
        auth_type: 'oauth2',
        oauth2: { ...provider.oauth2('authorization_code'), token_url: `${front.url}/token` },
        http: {
          base_url: upstream.url(),
          auth: { in: 'bearer', credential: 'access_token' },
          actions: { events: { method: 'GET', path: '/events' } },
        },
      });
      await vault
        .org()
        .credentials.store(M, { client_id: 'client-two', client_secret: 'secret-two-0123456789' });
      // Connected with a 30 s token: already inside the 60 s margin, so the next call refreshes.
      provider.ttlSeconds = 30;
      const { authorizationUrl } = await vault.org().oauth.authorize(M);
      const redirect = await providerRedirect(authorizationUrl);
      await vault.completeOAuth(redirect.searchParams);
      provider.ttlSeconds = 3600;
      await vault.close();
      const env = { ...db.env, ORGVAULT_HTTP_ALLOW_PRIVATE: '1', ORGVAULT_PUBLIC_URL: publicUrl };
      nodes = await Promise.all([startNode(env), startNode(env)]);
    }, 120_000);

    afterAll(async () => {
      for (const node of nodes) {
        const exited = new Promise((r) => node.child.once('exit', r));
        node.child.kill('SIGTERM');
        await exited;
      }
      await provider?.stop();
      await upstream?.stop();
      await new Promise((r) => front?.server.close(r));
      await db?.dispose();
    }, 60_000);

    it('ten concurrent invokes over two nodes make exactly one refresh request, all succeed', async () => {
      expect(provider.tokenRequests.map((r) => r.grant)).toEqual(['authorization_code']);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fetch(`${(nodes[i % 2] as Node).url}/v1/conversations/race-${i}/invoke`, {
            method: 'POST',
            headers: { 'x-api-key': owner, 'content-type': 'application/json' },
            body: JSON.stringify({ module_id: M, action: 'events', input: {} }),
          }),
        ),
      );
      for (const res of answers) expect(res.status, await res.clone().text()).toBe(200);
      expect(provider.refreshRequests()).toHaveLength(1);
    });
  },
);
