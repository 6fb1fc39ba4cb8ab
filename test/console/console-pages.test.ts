import { afterEach, describe, expect, it } from 'vitest';
import { type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { consoleRequest, signIn } from './support.js';

const backends = await selectedBackends();

/** The key id of an `ovk_<keyId>_<secret>` key. */
const keyIdOf = (apiKey: string): string => apiKey.slice(4, apiKey.indexOf('_', 4));

describe.each(backends.map((b) => [b.name, b] as const))('console pages on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world?.close());

  it("an admin sees Rotate and Revoke on a viewer's key, and neither on an owner's key (it could use neither)", async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'key-controls');
    const { client } = await signIn(world.app, org.keys.admin);
    const viewerPage = await consoleRequest(
      world.app,
      client,
      'GET',
      `/console/keys/${keyIdOf(org.keys.viewer)}`,
    );
    expect(viewerPage.statusCode).toBe(200);
    expect(viewerPage.body).toContain('data-action="rotate"');
    expect(viewerPage.body).toContain('data-action="revoke"');
    const ownerPage = await consoleRequest(
      world.app,
      client,
      'GET',
      `/console/keys/${keyIdOf(org.keys.owner)}`,
    );
    expect(ownerPage.statusCode).toBe(200);
    expect(ownerPage.body).not.toContain('data-action="rotate"');
    expect(ownerPage.body).not.toContain('data-action="revoke"');
  });

  it('a conversation longer than the state window shows its whole history, paged by seq', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'conv-pages');
    const door = world.vault.org(org.orgId);
    await door.modules.install(manifest('demo/echo'));
    for (let n = 1; n <= 60; n++) {
      await door.conversations.invoke('long', { moduleId: 'demo/echo', action: 'echo', input: { n } });
    }
    const { client } = await signIn(world.app, org.keys.viewer);
    const first = await consoleRequest(world.app, client, 'GET', '/console/conversations?id=long');
    expect(first.statusCode).toBe(200);
    const seqs = (body: string) =>
      [...body.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(seqs(first.body)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(first.body).toContain('after=50');
    const second = await consoleRequest(world.app, client, 'GET', '/console/conversations?id=long&after=50');
    expect(seqs(second.body)).toEqual(Array.from({ length: 10 }, (_, i) => i + 51));
    expect(second.body).not.toContain('data-testid="tool-results-next"');
    const bad = await consoleRequest(world.app, client, 'GET', '/console/conversations?id=long&after=x');
    expect(bad.statusCode).toBe(400);
  });
});
