import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import type { Role } from '../../src/auth/roles.js';
import { buildApp } from '../../src/http/app.js';
import type { OpenVaultOptions, Vault } from '../../src/vault.js';
import { type FreshDatabase, freshVault, type TestBackend } from '../support/backends.js';

export const ROLES: Role[] = ['viewer', 'operator', 'admin', 'owner'];

/** A clock tests move by hand (grace periods, expiry, last_used_at throttling). */
export interface TestClock {
  (): Date;
  advance(ms: number): void;
}

export function testClock(start = Date.parse('2026-06-01T12:00:00.000Z')): TestClock {
  let now = start;
  const clock = (() => new Date(now)) as TestClock;
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

export interface HttpWorld {
  vault: Vault;
  app: FastifyInstance;
  /** The database under the vault (its URLs, for tests that must reach rows behind orgvault's back). */
  db: FreshDatabase;
  close(): Promise<void>;
}

/** A fresh database, a vault and an app on it (silent logs); nothing shared with other tests. */
export async function httpWorld(
  backend: TestBackend,
  extra: Partial<OpenVaultOptions> = {},
): Promise<HttpWorld> {
  const { vault, db, close } = await freshVault(backend, extra);
  const app = await buildApp({ vault, logger: pino({ level: 'silent' }) });
  return {
    vault,
    app,
    db,
    async close() {
      await app.close();
      await close();
    },
  };
}

export interface OrgKeys {
  orgId: string;
  /** Plaintext key per role. */
  keys: Record<Role, string>;
  keyIds: Record<Role, string>;
}

let orgCounter = 0;
/** A new org with one key of every role (made through the library, as an operator would). */
export async function orgWithKeys(vault: Vault, prefix = 'org'): Promise<OrgKeys> {
  orgCounter += 1;
  const orgId = `${prefix}-${process.pid}-${orgCounter}`;
  await vault.system.createOrg(orgId);
  const keys = {} as Record<Role, string>;
  const keyIds = {} as Record<Role, string>;
  for (const role of ROLES) {
    const k = await vault.org(orgId).keys.create({ role, name: role });
    keys[role] = k.apiKey;
    keyIds[role] = k.keyId;
  }
  return { orgId, keys, keyIds };
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export function call(
  app: FastifyInstance,
  method: InjectOptions['method'],
  url: string,
  options: CallOptions = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  return app.inject({
    method,
    url,
    headers,
    ...(options.body !== undefined ? { payload: options.body as InjectOptions['payload'] } : {}),
  });
}

/** The same key with its last character changed (always to a different one): a wrong secret. */
export function wrongSecret(apiKey: string): string {
  return `${apiKey.slice(0, -1)}${apiKey.endsWith('A') ? 'B' : 'A'}`;
}

/** A problem body without its request id, for comparing two answers. */
export function problemWithoutRequestId(res: LightMyRequestResponse): Record<string, unknown> {
  const { request_id: _ignored, ...rest } = res.json() as Record<string, unknown>;
  return rest;
}
