import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../../src/http/app.js';
import type { Vault } from '../../../src/vault.js';
import { json, ModuleServer } from '../../agent/support/module-server.js';
import { call, type OrgKeys, orgWithKeys, type TestClock, testClock } from '../../http/support.js';
import { type FreshDatabase, freshVault, type TestBackend } from '../../support/backends.js';
import { TestProvider } from './provider.js';

export const PUBLIC_URL = 'http://orgvault.test';
export const MODULE = 'calendar/gcal';

/**
 * A vault and app (logs captured), a real authorization server and an upstream API on loopback
 * that accepts only the provider's currently valid access tokens, all on one test clock.
 */
export interface OAuthWorld {
  vault: Vault;
  app: Awaited<ReturnType<typeof buildApp>>;
  db: FreshDatabase;
  clock: TestClock;
  provider: TestProvider;
  upstream: ModuleServer;
  /** Every line the app logged. */
  logs: string[];
  close(): Promise<void>;
}

export async function oauthWorld(backend: TestBackend): Promise<OAuthWorld> {
  const clock = testClock(Date.now());
  const provider = await new TestProvider(() => clock().getTime()).start();
  const upstream = await new ModuleServer()
    .route('GET', '/events', (req, res) => {
      const header = String(req.headers.authorization ?? '');
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      const checked = provider.check(token);
      if (!checked.ok) return json(res, 401, { error: 'invalid_token' });
      return json(res, 200, { events: ['standup'], issued_to: provider.labelOf(checked.clientId) });
    })
    // A careless upstream that echoes the request's Authorization header back.
    .route('GET', '/echo', (req, res) => {
      const header = String(req.headers.authorization ?? '');
      if (!provider.check(header.replace(/^Bearer /, '')).ok) return json(res, 401, { seen: header });
      return json(res, 200, { seen: header });
    })
    .start();
  const { vault, db, close } = await freshVault(backend, {
    httpAllowPrivate: true,
    publicUrl: PUBLIC_URL,
    clock,
  });
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
  const app = await buildApp({ vault, logger });
  return {
    vault,
    app,
    db,
    clock,
    provider,
    upstream,
    logs,
    async close() {
      await app.close();
      await close();
      await provider.stop();
      await upstream.stop();
    },
  };
}

/** An OAuth2 calendar module on the world's provider and upstream. */
export function oauthManifest(
  w: OAuthWorld,
  grant: 'authorization_code' | 'client_credentials' = 'authorization_code',
  oauth2: Record<string, unknown> = {},
): Record<string, unknown> {
  const [category, platform] = MODULE.split('/') as [string, string];
  return {
    name: platform,
    category,
    platform,
    version: '1.0.0',
    auth_type: 'oauth2',
    credential_fields: [
      { name: 'client_id', required: true },
      { name: 'client_secret', required: true },
    ],
    oauth2: w.provider.oauth2(grant, oauth2),
    http: {
      base_url: w.upstream.url(),
      auth: { in: 'bearer', credential: 'access_token' },
      actions: { events: { method: 'GET', path: '/events' }, echo: { method: 'GET', path: '/echo' } },
    },
  };
}

/** A new org with keys, the module installed and a client registered at the provider for it. */
export async function orgWithClient(
  w: OAuthWorld,
  prefix: string,
  grant: 'authorization_code' | 'client_credentials' = 'authorization_code',
): Promise<OrgKeys & { clientId: string; clientSecret: string }> {
  const org = await orgWithKeys(w.vault, prefix);
  const clientId = `client-${org.orgId}`;
  const clientSecret = `secret-${org.orgId}-0123456789`;
  w.provider.register(clientId, clientSecret, org.orgId);
  await w.vault.org(org.orgId).modules.install(oauthManifest(w, grant));
  await w.vault
    .org(org.orgId)
    .credentials.store(MODULE, { client_id: clientId, client_secret: clientSecret });
  return { ...org, clientId, clientSecret };
}

/** POST .../oauth/authorize as `key`: the answer. */
export function authorize(w: OAuthWorld, key: string, body: unknown = {}): Promise<LightMyRequestResponse> {
  return call(w.app, 'POST', `/v1/modules/${MODULE}/oauth/authorize`, { key, body });
}

/** The owner's browser at the provider: follows the authorization URL to the redirect it answers with. */
export async function providerRedirect(authorizationUrl: string): Promise<URL> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (location === null) throw new Error(`the provider did not redirect (${res.status})`);
  return new URL(location);
}

/** The browser back at orgvault's callback (the redirect's path and query, on the app). */
export function callback(
  w: OAuthWorld,
  redirect: URL,
  accept = 'text/html',
): Promise<LightMyRequestResponse> {
  return w.app.inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}`, headers: { accept } });
}

/** The whole authorization-code flow for an org's owner; returns the callback's answer. */
export async function connect(w: OAuthWorld, org: OrgKeys): Promise<LightMyRequestResponse> {
  const started = await authorize(w, org.keys.owner);
  if (started.statusCode !== 200) throw new Error(`authorize: ${started.statusCode} ${started.body}`);
  return callback(
    w,
    await providerRedirect((started.json() as { authorization_url: string }).authorization_url),
  );
}

/** POST /v1/conversations/:id/invoke of the module's `events` action. */
export function invoke(
  w: OAuthWorld,
  key: string,
  conversation = 'c1',
  action = 'events',
): Promise<LightMyRequestResponse> {
  return call(w.app, 'POST', `/v1/conversations/${conversation}/invoke`, {
    key,
    body: { module_id: MODULE, action, input: {} },
  });
}
