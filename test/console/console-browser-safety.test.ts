import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import {
  BROWSER_AVAILABLE,
  BROWSER_REQUIRED,
  baseUrlOf,
  freshPage,
  launchBrowser,
  screenshot,
  signInUI,
} from './browser.js';

const backends = await selectedBackends();

/**
 * Posts a form built in the page itself (what a forged request from a tampered page would send):
 * with the page's own CSRF token, or with none. Resolves with the status of the answer.
 */
async function postFromPage(
  page: Page,
  action: string,
  fields: Record<string, string>,
  withToken: boolean,
): Promise<number> {
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.evaluate(
      ({ action, fields, withToken }) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        const token = (document.querySelector('input[name=_csrf]') as HTMLInputElement | null)?.value ?? '';
        const all: Record<string, string> = withToken ? { ...fields, _csrf: token } : fields;
        for (const [name, value] of Object.entries(all)) {
          const input = document.createElement('input');
          input.type = 'hidden';
          input.name = name;
          input.value = value;
          form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
      },
      { action, fields, withToken },
    ),
  ]);
  return response?.status() ?? 0;
}

/** What the console refuses, in a real browser: weaker roles, forged forms, dead keys, other orgs' ids. */
describe.skipIf(!BROWSER_AVAILABLE && !BROWSER_REQUIRED).each(backends.map((b) => [b.name, b] as const))(
  'console safety in Chromium on %s',
  (name, backend) => {
    let browser: Browser;
    let world: HttpWorld;
    let base: string;
    beforeAll(async () => {
      browser = await launchBrowser();
      world = await httpWorld(backend);
      await world.app.listen({ host: '127.0.0.1', port: 0 });
      base = baseUrlOf(world.app.server.address());
    });
    afterAll(async () => {
      await browser?.close();
      await world?.close();
    });

    it('a viewer sees no install, change, credential or key controls, and a forged POST from its page is refused', async () => {
      const org = await orgWithKeys(world.vault, 'bview');
      await world.vault.org(org.orgId).modules.install(manifest('weather/openweather'));
      const { context, page } = await freshPage(browser, base);
      await signInUI(page, org.keys.viewer);
      const nav = await page.locator('nav.tabs a').allTextContents();
      expect(nav).toEqual(['Overview', 'Modules', 'Credentials', 'Conversations']);
      await page.goto('/console/modules');
      await expect(page.locator('#install').count()).resolves.toBe(0);
      await page.goto('/console/modules/weather/openweather');
      await expect(page.locator('[data-action]').count()).resolves.toBe(0);
      await page.goto('/console/credentials');
      await expect(page.locator('[data-testid=credential-form]').count()).resolves.toBe(0);
      await screenshot(page, `${name}-credentials-viewer-1280`);

      const forged = await postFromPage(
        page,
        '/console/modules',
        { manifest: JSON.stringify(manifest('search/serpapi')) },
        true,
      );
      expect(forged).toBe(403);
      await expect(page.textContent('[data-testid=error]')).resolves.toContain('cannot do this');
      await page.goto('/console/modules/weather/openweather');
      expect(await postFromPage(page, '/console/modules/weather/openweather/uninstall', {}, true)).toBe(403);
      await page.goto('/console');
      expect(await postFromPage(page, '/console/keys', { role: 'viewer' }, true)).toBe(403);
      const modules = await call(world.app, 'GET', '/v1/modules', { key: org.keys.viewer });
      expect(modules.json().modules.map((m: { module_id: string }) => m.module_id)).toEqual([
        'weather/openweather',
      ]);
      expect((await world.vault.org(org.orgId).keys.list()).length).toBe(4);
      await context.close();
    });

    it('a POST without the CSRF token is refused and changes nothing', async () => {
      const org = await orgWithKeys(world.vault, 'bcsrf');
      const { context, page } = await freshPage(browser, base);
      await signInUI(page, org.keys.owner);
      await page.goto('/console/modules');
      const status = await postFromPage(
        page,
        '/console/modules',
        { manifest: JSON.stringify(manifest('search/serpapi')) },
        false,
      );
      expect(status).toBe(403);
      await expect(page.textContent('[data-testid=error]')).resolves.toContain(
        'did not come from this console',
      );
      expect(await world.vault.org(org.orgId).modules.list()).toEqual([]);
      // The same form with the token goes through: the refusal was the token's absence alone.
      await page.goto('/console/modules');
      expect(
        await postFromPage(
          page,
          '/console/modules',
          { manifest: JSON.stringify(manifest('search/serpapi')) },
          true,
        ),
      ).toBe(200);
      expect((await world.vault.org(org.orgId).modules.list()).map((m) => m.moduleId)).toEqual([
        'search/serpapi',
      ]);
      await context.close();
    });

    it('revoking the key through the API ends the session on the next navigation', async () => {
      const org = await orgWithKeys(world.vault, 'brevoke');
      const { context, page } = await freshPage(browser, base);
      await signInUI(page, org.keys.admin);
      await page.goto('/console/keys');
      const revoke = await call(world.app, 'DELETE', `/v1/api-keys/${org.keyIds.admin}`, {
        key: org.keys.owner,
      });
      expect(revoke.statusCode).toBe(204);
      await page.goto('/console/modules');
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      await expect(page.textContent('.notice.error')).resolves.toContain('session has ended');
      expect((await context.cookies()).some((c) => c.name === 'orgvault_console')).toBe(false);
      await screenshot(page, `${name}-sign-in-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, `${name}-sign-in-390`);
      await context.close();
    });

    it("another org's module or key id typed into a URL is not found, like an id that exists nowhere", async () => {
      const a = await orgWithKeys(world.vault, 'bbola-a');
      const b = await orgWithKeys(world.vault, 'bbola-b');
      await world.vault.org(a.orgId).modules.install(manifest('weather/openweather'));
      const { context, page } = await freshPage(browser, base);
      await signInUI(page, b.keys.owner);
      for (const path of [
        '/console/modules/weather/openweather',
        '/console/modules/weather/never-installed',
        `/console/keys/${a.keyIds.viewer}`,
      ]) {
        const res = await page.goto(path);
        expect(res?.status(), path).toBe(404);
        await expect(page.textContent('[data-testid=error]')).resolves.toMatch(
          /no such (module|API key) in your organization/,
        );
      }
      await screenshot(page, `${name}-not-found-1280`);
      await context.close();
    });
  },
);
