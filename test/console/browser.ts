import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from '../cli/helpers.js';
import type { TestServer } from '../helpers/server.js';
import { dataFiles } from '../../src/shared/paths.js';
import { ADMIN_EMAIL } from '../../src/server/bootstrap.js';

/** Screenshots of each console page, for review (git-ignored). */
export const SHOTS = join(ROOT, 'test-output', 'console');

/** Chromium from Debian (`apt-get install chromium`; .ci/run installs it); CHROMIUM_PATH overrides. */
export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].find(
    (p) => p && existsSync(p),
  );
  if (!found) throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)');
  return found;
}

export async function launch(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/**
 * A browser context for a test server. The server's certificate comes from its own private CA,
 * which this throwaway profile does not know: certificate errors are ignored (a browser concern,
 * outside the project; the CLI and agent tests check TLS properly).
 */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 900 } });
}

export function adminPassword(t: TestServer): string {
  return readFileSync(dataFiles(t.dataDir).adminPassword, 'utf8').trim();
}

export async function signIn(page: Page, t: TestServer, password = adminPassword(t)): Promise<void> {
  await page.goto(`${t.url}/`);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page; fails on any serious or critical violation. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const violations = (await page.evaluate(`${axeSource}
    ;axe.run(document, { resultTypes: ['violations'] }).then((r) =>
      r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`)) as {
    id: string;
    impact: string;
    help: string;
    nodes: string[];
  }[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${what}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
