import { afterEach, describe, expect, it } from 'vitest';
import { type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { consoleRequest, signIn } from './support.js';

const backends = await selectedBackends();

const GCAL = manifest('calendar/gcal', {
  auth_type: 'oauth2',
  credential_fields: [
    { name: 'client_id', required: true },
    { name: 'client_secret', required: true },
  ],
  oauth2: {
    grant: 'authorization_code',
    authorization_url: 'https://accounts.example/authorize',
    token_url: 'https://accounts.example/token',
    scopes: ['calendar.read'],
  },
});

/** The console's "Connect" button goes through the same OAuth service as POST .../oauth/authorize. */
describe.each(backends.map((b) => [b.name, b] as const))('console OAuth connect on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world?.close());

  it("an owner's Connect answers a page whose one link is the provider's authorize URL (state, S256 challenge, return to the console)", async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'connect');
    const door = world.vault.org(org.orgId);
    await door.modules.install(GCAL);
    await door.credentials.store('calendar/gcal', {
      client_id: 'gcal-client',
      client_secret: 'gcal-secret-value',
    });
    const { client } = await signIn(world.app, org.keys.owner);
    const res = await consoleRequest(
      world.app,
      client,
      'POST',
      '/console/modules/calendar/gcal/oauth/connect',
      {},
    );
    expect(res.statusCode).toBe(200);
    const link = /<a class="button" href="([^"]+)" data-follow/.exec(res.body)?.[1];
    expect(link).toBeDefined();
    const url = new URL((link ?? '').replaceAll('&amp;', '&'));
    expect(url.origin + url.pathname).toBe('https://accounts.example/authorize');
    expect(url.searchParams.get('client_id')).toBe('gcal-client');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')?.length).toBeGreaterThan(20);
    expect(res.body).not.toContain('gcal-secret-value');
    const trail = await auditTrail(world.vault, org.orgId);
    expect(trail.some((e) => e.action === 'oauth.authorize' && e.targetId === 'calendar/gcal')).toBe(true);
  });

  it("an admin (no manage_credentials) is refused and no state is made; another org's module id is not found", async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'connect-a');
    const other = await orgWithKeys(world.vault, 'connect-b');
    await world.vault.org(other.orgId).modules.install(GCAL);
    await world.vault.org(org.orgId).modules.install(GCAL);
    const admin = await signIn(world.app, org.keys.admin);
    const refused = await consoleRequest(
      world.app,
      admin.client,
      'POST',
      '/console/modules/calendar/gcal/oauth/connect',
      {},
    );
    expect(refused.statusCode).toBe(403);
    const trail = await auditTrail(world.vault, org.orgId);
    expect(trail.some((e) => e.action === 'oauth.authorize')).toBe(false);
    await world.vault.org(org.orgId).modules.uninstall('calendar/gcal');
    const owner = await signIn(world.app, org.keys.owner);
    const missing = await consoleRequest(
      world.app,
      owner.client,
      'POST',
      '/console/modules/calendar/gcal/oauth/connect',
      {},
    );
    expect(missing.statusCode).toBe(404);
    expect((await auditTrail(world.vault, other.orgId)).some((e) => e.action === 'oauth.authorize')).toBe(
      false,
    );
  });
});
