import { createHmac } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unusableReason } from '../auth/api-key-info.js';
import type { VerifiedKey } from '../auth/key-verifier.js';
import type { Clock } from '../clock.js';
import { open, seal } from '../crypto/aead.js';
import { AUTH_SCOPE, orgScope, type Storage } from '../storage/storage.js';

/** The session cookie: HttpOnly, SameSite=Strict, Secure when the request came over TLS. */
export const SESSION_COOKIE = 'orgvault_console';
/** How long a sign-in lasts, whatever the key's own expiry (which is checked on every request too). */
export const SESSION_SECONDS = 8 * 60 * 60;
const AAD = Buffer.from('orgvault-console-session-v1');

interface SessionPayload {
  /** The key the session was opened with: its id only, never its secret. */
  k: string;
  o: string;
  /** Issued, epoch ms: a sign-out of the key after this ends the session. */
  i: number;
  /** Expiry, epoch ms. */
  e: number;
}

/** The cookie key, derived from the primary master key (rotating it signs everyone out). */
export function sessionKeyFrom(masterKey: Buffer): Buffer {
  return createHmac('sha256', masterKey).update('orgvault console session cookie').digest();
}

/**
 * Console sessions, kept in an encrypted cookie (AES-256-GCM under a key derived from the master
 * key) that holds the signed-in key's id, org, when it was issued and when it expires. Every request
 * re-reads the key's row, so a revoked, expired or rotated-out key ends its sessions at once, and
 * so does a sign-out: it records the time on the key's row, and any cookie issued before it (a copy
 * kept elsewhere included) no longer opens. The API key itself never leaves the sign-in request.
 */
export class ConsoleSessions {
  /** The HMAC key of CSRF tokens (bound to the signed-in key id). */
  readonly csrfKey: Buffer;

  constructor(private readonly deps: { storage: Storage; clock: Clock; key: Buffer }) {
    this.csrfKey = createHmac('sha256', deps.key).update('csrf').digest();
  }

  /** The cookie value for a session of this key, and when it ends. */
  issue(keyId: string, orgId: string): { value: string; maxAge: number } {
    const now = this.deps.clock().getTime();
    const payload: SessionPayload = { k: keyId, o: orgId, i: now, e: now + SESSION_SECONDS * 1000 };
    const sealed = seal(this.deps.key, Buffer.from(JSON.stringify(payload)), AAD);
    return {
      value: Buffer.concat([sealed.nonce, sealed.ciphertext]).toString('base64url'),
      maxAge: SESSION_SECONDS,
    };
  }

  private read(value: string | undefined): SessionPayload | null {
    if (typeof value !== 'string' || value.length > 512) return null;
    const raw = Buffer.from(value, 'base64url');
    const plain = open(this.deps.key, raw.subarray(0, 12), raw.subarray(12), AAD);
    if (plain === null) return null;
    try {
      const p = JSON.parse(plain.toString('utf8')) as SessionPayload;
      return typeof p.k === 'string' &&
        typeof p.o === 'string' &&
        typeof p.i === 'number' &&
        typeof p.e === 'number'
        ? p
        : null;
    } catch {
      return null;
    }
  }

  /** Who this request's session belongs to, re-checked against the key's row now. */
  async identify(request: FastifyRequest): Promise<VerifiedKey> {
    // Parsed here rather than by @fastify/cookie's hook: the auth hook runs before the console's own hooks.
    const session = this.read(fastifyCookie.parse(request.headers.cookie ?? '')[SESSION_COOKIE]);
    const now = this.deps.clock();
    if (session === null) return { ok: false, code: 'MALFORMED' };
    if (session.e <= now.getTime()) return { ok: false, code: 'EXPIRED' };
    const found = await this.deps.storage.read(AUTH_SCOPE, (r) => r.apiKeys.findApiKeyForConsole(session.k));
    if (found === null || found.key.orgId !== session.o) return { ok: false, code: 'NOT_FOUND' };
    // Signed out since this cookie was issued: it is over, wherever a copy of it is.
    if (found.consoleSignedOutAt !== null && session.i <= Date.parse(found.consoleSignedOutAt)) {
      return { ok: false, code: 'EXPIRED' };
    }
    const row = found.key;
    const reason = unusableReason(row, now.toISOString());
    if (reason !== null) return { ok: false, code: reason };
    return {
      ok: true,
      orgId: row.orgId,
      keyId: row.keyId,
      role: row.role,
      rateLimitPerMinute: row.rateLimitPerMinute,
    };
  }

  start(reply: FastifyReply, keyId: string, orgId: string): void {
    const { value, maxAge } = this.issue(keyId, orgId);
    reply.setCookie(SESSION_COOKIE, value, { ...COOKIE_OPTIONS, maxAge });
  }

  /** Signs the key out of the console: this cookie is cleared and every session issued before now ends. */
  async end(reply: FastifyReply, auth: { orgId: string; keyId: string }): Promise<void> {
    const at = this.deps.clock().toISOString();
    await this.deps.storage.transaction(orgScope(auth.orgId), (tx) =>
      tx.apiKeys.markConsoleSignOut(auth.orgId, auth.keyId, at),
    );
    reply.clearCookie(SESSION_COOKIE, COOKIE_OPTIONS);
  }
}

export const COOKIE_OPTIONS = {
  path: '/console',
  httpOnly: true,
  sameSite: 'strict',
  // 'auto': Secure whenever the request reached us over TLS (directly or through a trusted proxy).
  secure: 'auto',
} as const;
