import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { captureLogger, failure, httpModule } from './support/fixtures.js';
import { json, ModuleServer } from './support/module-server.js';
import { persistedText } from './support/persisted-text.js';

const ECHO = 'tools/echoing';
const BASIC = 'tools/basic';
const KEYS = {
  acme: 'acme-secret+with/odd=chars&more',
  globex: 'globex-secret-0123456789',
  user: 'basic-user-name',
  password: 'basic-password-42',
};
const SECRETS = [
  ...Object.values(KEYS),
  encodeURIComponent(KEYS.acme),
  Buffer.from(`${KEYS.user}:${KEYS.password}`).toString('base64'),
];

/**
 * The upstream here is hostile to secrecy: it echoes the key it received in its body, in an error
 * body, in a header name position, URL-encoded, and the whole Authorization header.
 */
function leakyServer(): ModuleServer {
  const keyOf = (req: { query: Record<string, string>; headers: Record<string, unknown> }) =>
    req.query.key ?? String(req.headers['x-api-key'] ?? '');
  return new ModuleServer()
    .route('GET', '/body', (req, res) =>
      json(res, 200, { you_sent: keyOf(req), [keyOf(req)]: 'as a key too' }),
    )
    .route('GET', '/error', (req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' }).end(`invalid api key: ${keyOf(req)}`);
    })
    .route('GET', '/server-error', (req, res) => json(res, 500, { error: `key ${keyOf(req)} was rejected` }))
    .route('GET', '/encoded', (req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`raw query: ${new URLSearchParams(req.query)}`);
    })
    .route('GET', '/auth-header', (req, res) => json(res, 200, { authorization: req.headers.authorization }))
    .route('GET', '/encodings', (req, res) => json(res, 200, encodingsOf(keyOf(req))));
}

/** An upstream that answers with the key it received in every binary-to-text encoding it knows. */
function encodingsOf(key: string): Record<string, string> {
  const bytes = Buffer.from(key);
  const blob = Buffer.from(JSON.stringify({ session: { token: key } }));
  return {
    base64: bytes.toString('base64'),
    base64url: bytes.toString('base64url'),
    hex: bytes.toString('hex'),
    HEX: bytes.toString('hex').toUpperCase(),
    blob_base64: blob.toString('base64'),
    blob_base64url: blob.toString('base64url'),
  };
}

const actions = {
  body: { method: 'GET', path: '/body' },
  error: { method: 'GET', path: '/error' },
  server_error: { method: 'GET', path: '/server-error' },
  encoded: { method: 'GET', path: '/encoded' },
  auth_header: { method: 'GET', path: '/auth-header' },
  encodings: { method: 'GET', path: '/encodings' },
};

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] no credential value reaches a reply, state, row or log line`, () => {
    let vault: Vault;
    let close: () => Promise<void>;
    let server: ModuleServer;
    let logs: ReturnType<typeof captureLogger>;

    beforeEach(async () => {
      server = await leakyServer().start();
      logs = captureLogger();
      ({ vault, close } = await freshVault(backend, { httpAllowPrivate: true, agentLogger: logs.logger }));
      await vault.system.createOrg('acme');
      await vault.system.createOrg('globex');
      await vault.org('acme').modules.install(
        httpModule(ECHO, server.url(), {
          auth: { in: 'query', name: 'key', credential: 'api_key' },
          actions,
        }),
      );
      await vault.org('acme').credentials.store(ECHO, { api_key: KEYS.acme });
      await vault.org('globex').modules.install(httpModule(ECHO, server.url(), { actions }));
      await vault.org('globex').credentials.store(ECHO, { api_key: KEYS.globex });
      await vault.org('globex').modules.install({
        ...httpModule(BASIC, server.url(), {
          auth: { in: 'basic', username: 'user', password: 'password' },
          actions,
        }),
        credential_fields: [{ name: 'user' }, { name: 'password' }],
      });
      await vault.org('globex').credentials.store(BASIC, { user: KEYS.user, password: KEYS.password });
    });

    afterEach(async () => {
      await close();
      await server.stop();
    });

    it('scrubs echoed keys from results, errors, checkpoints, audit rows, module rows and logs', async () => {
      const replies: unknown[] = [];
      for (const org of ['acme', 'globex'] as const) {
        const conv = vault.org(org).conversations;
        const ok = await conv.invoke('leaky', { moduleId: ECHO, action: 'body', input: {} });
        replies.push(ok);
        expect(ok.result).toMatchObject({
          status: 200,
          body: { you_sent: '[redacted]', '[redacted]': 'as a key too' },
        });

        for (const action of ['error', 'server_error']) {
          const err = await failure(conv.invoke('leaky', { moduleId: ECHO, action, input: {} }));
          expect(err.code).toBe('MODULE_CALL_FAILED');
          replies.push(err.message, err.details, err.state, err.toolResult);
        }
        replies.push(await conv.invoke('leaky', { moduleId: ECHO, action: 'encoded', input: {} }));
      }
      const basic = await vault
        .org('globex')
        .conversations.invoke('leaky', { moduleId: BASIC, action: 'auth_header', input: {} });
      expect(basic.result).toEqual({ status: 200, body: { authorization: 'Basic [redacted]' } });
      replies.push(basic);

      // The upstream did get the keys: the scrubbing is on the way back, not by never sending them.
      expect(server.seen.some((r) => r.query.key === KEYS.acme)).toBe(true);
      expect(server.seen.some((r) => r.headers['x-api-key'] === KEYS.globex)).toBe(true);

      const errorResult = (await vault.org('acme').conversations.get('leaky'))?.toolResults[1];
      expect(errorResult).toMatchObject({
        ok: false,
        output: { status: 401, body: 'invalid api key: [redacted]' },
      });

      const everything = [JSON.stringify(replies), await persistedText(vault), ...logs.lines].join('\n');
      expect(logs.lines.length).toBeGreaterThanOrEqual(9);
      for (const secret of SECRETS) expect(everything).not.toContain(secret);
    });

    it('scrubs base64, base64url and hex echoes (also inside an encoded blob) from reply, state, rows and logs', async () => {
      const replies: unknown[] = [];
      for (const org of ['acme', 'globex'] as const) {
        const reply = await vault
          .org(org)
          .conversations.invoke('encoded', { moduleId: ECHO, action: 'encodings', input: {} });
        expect(
          Object.values((reply.result as { body: Record<string, string> }).body).every((v) =>
            v.includes('[redacted]'),
          ),
        ).toBe(true);
        replies.push(reply, await vault.org(org).conversations.get('encoded'));
      }
      const forms = [KEYS.acme, KEYS.globex].flatMap((k) => Object.values(encodingsOf(k)));
      // What the upstream sent is what a careless scrubber would have passed on.
      expect(forms.length).toBe(12);
      const everything = [JSON.stringify(replies), await persistedText(vault), ...logs.lines].join('\n');
      for (const form of forms) expect(everything).not.toContain(form);
      for (const key of [KEYS.acme, KEYS.globex]) {
        const bytes = Buffer.from(key);
        // The parts that encode the key alone (whatever the alignment) are gone from the blobs too.
        expect(everything).not.toContain(bytes.toString('base64').slice(4, -4));
        expect(everything).not.toContain(bytes.toString('hex').slice(2, -2));
      }
    });

    it('the audit event of an invocation names module, action and outcome only', async () => {
      await vault
        .org('acme')
        .conversations.invoke('c', { moduleId: ECHO, action: 'body', input: { q: 'private words' } });
      await failure(
        vault.org('acme').conversations.invoke('c', { moduleId: ECHO, action: 'error', input: {} }),
      );
      const events = (await vault.org('acme').audit.list({ limit: 10 })).filter(
        (e) => e.action === 'module.invoke',
      );
      expect(events.map((e) => [e.targetId, e.details.action, e.outcome, e.details.code])).toEqual([
        [ECHO, 'error', 'failure', 'MODULE_CALL_FAILED'],
        [ECHO, 'body', 'success', undefined],
      ]);
      expect(JSON.stringify(events)).not.toContain('private words');
      expect(JSON.stringify(events)).not.toContain('you_sent');
    });
  });
}
