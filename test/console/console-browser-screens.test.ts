import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import {
  BROWSER_AVAILABLE,
  BROWSER_REQUIRED,
  baseUrlOf,
  CHROMIUM,
  freshPage,
  launchBrowser,
  screenshot,
  signInUI,
} from './browser.js';
import { secretOf } from './support.js';

const backends = await selectedBackends();

it('a browser for the console tests is installed (required in CI)', () => {
  // Without ORGVAULT_REQUIRE_BROWSER the suites below are skipped on a machine without Chromium.
  if (BROWSER_REQUIRED) expect(BROWSER_AVAILABLE, `${CHROMIUM} (apt-get install -y chromium)`).toBe(true);
  else expect(typeof BROWSER_AVAILABLE).toBe('boolean');
});

/** Each screen's main action done in a real browser and checked through the JSON API. */
describe.skipIf(!BROWSER_AVAILABLE && !BROWSER_REQUIRED).each(backends.map((b) => [b.name, b] as const))(
  'console screens in Chromium on %s',
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

    it('sign-in: HttpOnly SameSite=Strict cookie; the key is in no storage, URL or page; overview', async () => {
      const org = await orgWithKeys(world.vault, 'bsign');
      const { context, page, urls, problems } = await freshPage(browser, base);
      await signInUI(page, org.keys.admin);
      const cookie = (await context.cookies()).find((c) => c.name === 'orgvault_console');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });
      await expect(page.textContent('[data-testid=org]')).resolves.toBe(org.orgId);
      await expect(page.textContent('[data-testid=role]')).resolves.toBe('admin');
      const secret = secretOf(org.keys.admin);
      expect(secret.length).toBeGreaterThan(20);
      const seen: string[] = [];
      for (const path of [
        '/console',
        '/console/modules',
        '/console/credentials',
        '/console/keys',
        '/console/audit',
        '/console/conversations',
      ]) {
        await page.goto(path);
        seen.push(await page.content());
        const storage = await page.evaluate(() =>
          JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]),
        );
        expect(storage).not.toContain(secret);
        expect(storage).not.toContain('orgvault_console');
      }
      for (const html of seen) expect(html).not.toContain(secret);
      for (const url of urls) expect(url).not.toContain(secret);
      expect(await page.evaluate(() => history.length)).toBeGreaterThan(1);
      await page.goto('/console');
      await screenshot(page, `${name}-overview-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, `${name}-overview-390`);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('modules: install from a pasted or loaded manifest (errors beside the field), disable, enable, uninstall', async () => {
      const org = await orgWithKeys(world.vault, 'bmod');
      const { context, page, problems } = await freshPage(browser, base);
      await signInUI(page, org.keys.operator);
      await page.goto('/console/modules');
      await expect(page.textContent('.empty')).resolves.toContain('No modules installed yet');
      await page.fill('#manifest', '{"name": "openweather",');
      await page.click('#install button[type=submit]');
      await expect(page.textContent('[data-testid=manifest-error]')).resolves.toContain('not valid JSON');
      await page.fill('#manifest', JSON.stringify({ name: 'x', category: 'weather', platform: 'x' }));
      await page.click('#install button[type=submit]');
      await expect(page.textContent('[data-testid=manifest-error]')).resolves.toContain('version');
      expect(await world.vault.org(org.orgId).modules.list()).toEqual([]);

      // A manifest file is read into the field by the page's script (allowed by the CSP), then posted.
      const weather = manifest('weather/openweather', { display_name: 'OpenWeather' });
      await page.setInputFiles('#manifest_file', {
        name: 'weather.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(weather)),
      });
      await page.waitForFunction(() =>
        (document.getElementById('manifest') as HTMLTextAreaElement).value.includes('openweather'),
      );
      await Promise.all([
        page.waitForURL(/\/console\/modules\/weather\/openweather/),
        page.click('#install button[type=submit]'),
      ]);
      await expect(page.textContent('.notice.ok')).resolves.toContain('Module installed');
      await screenshot(page, `${name}-module-detail-1280`);
      const viaApi = await call(world.app, 'GET', '/v1/modules/weather/openweather', {
        key: org.keys.viewer,
      });
      expect(viaApi.json()).toMatchObject({ module_id: 'weather/openweather', status: 'installed' });

      await Promise.all([page.waitForURL(/done=disabled/), page.click('[data-action=disable]')]);
      expect((await world.vault.org(org.orgId).modules.get('weather/openweather'))?.status).toBe('disabled');
      await Promise.all([page.waitForURL(/done=enabled/), page.click('[data-action=enable]')]);
      expect((await world.vault.org(org.orgId).modules.get('weather/openweather'))?.status).toBe('installed');

      await world.vault.org(org.orgId).modules.install(manifest('search/serpapi'));
      await page.goto('/console/modules');
      await expect(page.locator('[data-testid=modules-table] tbody tr').count()).resolves.toBe(2);
      await screenshot(page, `${name}-modules-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, `${name}-modules-390`);
      await page.setViewportSize({ width: 1280, height: 900 });

      await page.goto('/console/modules/search/serpapi');
      // The uninstall button is behind a confirmation step.
      await expect(page.isVisible('[data-action=uninstall]')).resolves.toBe(false);
      await page.click('[data-action=uninstall-open]');
      await Promise.all([page.waitForURL(/done=uninstalled/), page.click('[data-action=uninstall]')]);
      const gone = await call(world.app, 'GET', '/v1/modules/search/serpapi', { key: org.keys.viewer });
      expect(gone.statusCode).toBe(404);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('credentials: a write-only form from credential_fields; names and times only; OAuth connect shown for OAuth2 modules', async () => {
      const org = await orgWithKeys(world.vault, 'bcred');
      const door = world.vault.org(org.orgId);
      await door.modules.install(
        manifest('weather/openweather', {
          credential_fields: [
            { name: 'api_key', required: true, description: 'From the provider dashboard' },
            { name: 'region' },
          ],
        }),
      );
      await door.modules.install(
        manifest('calendar/google_calendar', {
          auth_type: 'oauth2',
          oauth2: {
            grant: 'authorization_code',
            authorization_url: 'https://accounts.example/auth',
            token_url: 'https://accounts.example/token',
            scopes: ['calendar'],
          },
        }),
      );
      const { context, page, problems } = await freshPage(browser, base);
      await signInUI(page, org.keys.owner);
      await page.goto('/console/credentials');
      const card = page.locator('[data-module="weather/openweather"]');
      await card.locator('input[name=field_api_key]').fill('sk-browser-secret-1');
      await card.locator('input[name=field_region]').fill('eu-west-secret');
      await Promise.all([page.waitForURL(/done=stored/), card.locator('button[type=submit]').click()]);
      const meta = await call(world.app, 'GET', '/v1/modules/weather/openweather/credentials', {
        key: org.keys.viewer,
      });
      expect(meta.json()).toMatchObject({ module_id: 'weather/openweather', fields: ['api_key', 'region'] });
      const html = await page.content();
      expect(html).not.toContain('sk-browser-secret-1');
      expect(html).not.toContain('eu-west-secret');
      await expect(card.locator('[data-testid=credential-state]').textContent()).resolves.toContain(
        'api_key, region',
      );
      await expect(card.locator('input[name=field_api_key]').inputValue()).resolves.toBe('');
      const oauthCard = page.locator('[data-module="calendar/google_calendar"]');
      await expect(oauthCard.locator('[data-action=oauth-connect]').count()).resolves.toBe(1);
      await expect(card.locator('[data-action=oauth-connect]').count()).resolves.toBe(0);
      await screenshot(page, `${name}-credentials-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, `${name}-credentials-390`);
      await page.setViewportSize({ width: 1280, height: 900 });
      expect(problems).toEqual([]);
      await context.close();
    });

    it('API keys: create up to one’s own role, shown once with a copy button; rotate with grace; revoke', async () => {
      const org = await orgWithKeys(world.vault, 'bkeys');
      const { context, page, problems } = await freshPage(browser, base);
      await signInUI(page, org.keys.admin);
      await page.goto('/console/keys');
      const roles = await page.locator('#role option').allTextContents();
      expect(roles).toEqual(['viewer', 'operator', 'admin']);
      await page.fill('#name', 'ci-deploy');
      await page.selectOption('#role', 'operator');
      await page.selectOption('#expires_in', String(30 * 86400));
      await page.click('#create button[type=submit]');
      await page.waitForSelector('[data-testid=new-key]');
      const issued = await page.inputValue('#new-key');
      expect(issued).toMatch(/^ovk_/);
      await page.click('[data-copy=new-key]');
      await page.waitForFunction(
        () => document.querySelector('[data-copy=new-key]')?.textContent === 'Copied',
      );
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(issued);
      await screenshot(page, `${name}-keys-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, `${name}-keys-390`);
      await page.setViewportSize({ width: 1280, height: 900 });
      const me = await call(world.app, 'GET', '/v1/me', { key: issued });
      expect(me.json()).toMatchObject({ org_id: org.orgId, role: 'operator' });
      const made = (await world.vault.org(org.orgId).keys.list()).find((k) => k.name === 'ci-deploy');
      expect(made?.expiresAt).not.toBeNull();
      // Shown once: the list page never carries it again.
      await page.goto('/console/keys');
      expect(await page.content()).not.toContain(issued);

      await page.goto(`/console/keys/${made?.keyId}`);
      await page.selectOption('#grace_seconds', '3600');
      await page.click('[data-action=rotate]');
      await page.waitForSelector('[data-testid=new-key]');
      const rotated = await page.inputValue('#new-key');
      expect((await call(world.app, 'GET', '/v1/me', { key: rotated })).json()).toMatchObject({
        role: 'operator',
      });
      expect((await world.vault.org(org.orgId).keys.get(made?.keyId as string))?.status).toBe(
        'rotation_pending',
      );
      expect((await call(world.app, 'GET', '/v1/me', { key: issued })).statusCode).toBe(200);

      await page.goto(`/console/keys/${made?.keyId}`);
      await page.click('[data-action=revoke-open]');
      await Promise.all([page.waitForURL(/done=revoked/), page.click('[data-action=revoke]')]);
      expect((await call(world.app, 'GET', '/v1/me', { key: issued })).statusCode).toBe(401);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('audit: newest first, paged, filtered by action, chain check, checkpoint download and NDJSON export', async () => {
      const org = await orgWithKeys(world.vault, 'baudit');
      const door = world.vault.org(org.orgId);
      for (let i = 0; i < 30; i += 1) {
        await door.modules.install(manifest(`bulk/m${i}`));
        await door.modules.disable(`bulk/m${i}`);
      }
      const events = await door.audit.list({ limit: 500 });
      const { context, page, problems } = await freshPage(browser, base);
      await signInUI(page, org.keys.admin);
      await page.goto('/console/audit');
      await expect(page.textContent('[data-testid=chain]')).resolves.toContain('intact');
      const firstSeq = Number(
        await page.locator('[data-testid=audit-table] tbody tr td').first().textContent(),
      );
      expect(firstSeq).toBe(events[0]?.seq);
      await expect(page.locator('[data-testid=audit-table] tbody tr').count()).resolves.toBe(50);
      await screenshot(page, `${name}-audit-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, `${name}-audit-390`);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.click('[data-testid=older]');
      await page.waitForURL(/before=/);
      const olderSeq = Number(
        await page.locator('[data-testid=audit-table] tbody tr td').first().textContent(),
      );
      expect(olderSeq).toBe(events[50]?.seq);

      await page.goto('/console/audit');
      await page.fill('#action', 'module.install');
      await Promise.all([page.waitForURL(/action=module.install/), page.click('.filters button')]);
      const actions = await page
        .locator('[data-testid=audit-table] tbody tr td:nth-child(3)')
        .allTextContents();
      expect(actions.length).toBe(30);
      expect(new Set(actions)).toEqual(new Set(['module.install']));

      const [checkpointDownload] = await Promise.all([
        page.waitForEvent('download'),
        page.click('a[href="/console/audit/checkpoint"]'),
      ]);
      const checkpoint = JSON.parse(readFileSync(await checkpointDownload.path(), 'utf8'));
      expect(checkpoint).toMatchObject({ org_id: org.orgId });
      await expect(world.vault.system.verifyAuditCheckpoint(org.orgId, checkpoint)).resolves.toMatchObject({
        ok: true,
      });
      const [exportDownload] = await Promise.all([
        page.waitForEvent('download'),
        page.click('a[href="/console/audit/export"]'),
      ]);
      const lines = readFileSync(await exportDownload.path(), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThanOrEqual(events.length);
      expect(lines[0]).toMatchObject({ seq: 1, org_id: org.orgId });
      expect(problems).toEqual([]);
      await context.close();
    });

    it('conversations: looked up by id, with its state and tool results', async () => {
      const org = await orgWithKeys(world.vault, 'bconv');
      const door = world.vault.org(org.orgId);
      await door.modules.install(manifest('demo/echo'));
      await door.conversations.invoke('conv-browser', {
        moduleId: 'demo/echo',
        action: 'echo',
        input: { city: 'Oslo' },
      });
      const { context, page, problems } = await freshPage(browser, base);
      await signInUI(page, org.keys.viewer);
      await page.goto('/console/conversations');
      await expect(page.textContent('.empty')).resolves.toContain('Look up a conversation');
      await page.fill('#id', 'conv-browser');
      await Promise.all([page.waitForURL(/id=conv-browser/), page.click('.filters button')]);
      await expect(page.textContent('[data-testid=tool-calls]')).resolves.toBe('1');
      await expect(page.textContent('[data-testid=tool-results]')).resolves.toContain('Oslo');
      await screenshot(page, `${name}-conversations-1280`);
      await page.fill('#id', 'conv-nowhere');
      await Promise.all([page.waitForURL(/id=conv-nowhere/), page.click('.filters button')]);
      await expect(page.textContent('.notice.error')).resolves.toContain('No conversation');
      expect(problems).toEqual([]);
      await context.close();
    });
  },
);
