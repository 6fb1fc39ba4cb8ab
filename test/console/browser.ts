import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, as DESIGN.md's Stack says; CI installs it (see .ci/run). */
export const CHROMIUM = '/usr/bin/chromium';
/** Set by CI: a missing browser is then a failure, not a skipped suite. */
export const BROWSER_REQUIRED = process.env.ORGVAULT_REQUIRE_BROWSER === '1';
export const BROWSER_AVAILABLE = existsSync(CHROMIUM);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** Where screenshots go (git-ignored; CI keeps the folder as an artifact). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export function baseUrlOf(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
}

/** A fresh browser context (its own cookies and storage) and a page that records every URL and CSP complaint. */
export async function freshPage(
  browser: Browser,
  baseURL: string,
  width = 1280,
): Promise<{ context: BrowserContext; page: Page; urls: string[]; problems: string[] }> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width, height: 900 },
    acceptDownloads: true,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  const urls: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, urls, problems };
}

export async function signInUI(page: Page, apiKey: string): Promise<void> {
  await page.goto('/console/sign-in');
  await page.fill('#api_key', apiKey);
  await Promise.all([page.waitForURL(/\/console$/), page.click('button[type=submit]')]);
}
