/**
 * The web console in a real browser (issue 15): Chromium from Debian driven by playwright-core,
 * against a real control plane with real local machines. One browser for the whole file; each page
 * gets a screenshot under test-output/console/ and an axe-core check (no serious violations).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { createBox, deploy, restartSamePort, useE2eServer } from '../e2e/helpers.js';
import { ensureBuilt, runCli, serverEnv, tempHome, type TempHome } from '../cli/helpers.js';
import type { TestServer } from '../helpers/server.js';
import { TAIL_PATH } from '../../src/shared/protocol.js';
import { adminPassword, expectAccessible, launch, newContext, screenshot, signIn } from './browser.js';
import { ADMIN_EMAIL } from '../../src/server/bootstrap.js';

let t: TestServer;
useE2eServer((s) => (t = s));
let browser: Browser;
let context: BrowserContext;
let page: Page;
let home: TempHome;
let box: { id: string; name: string };
const LINES = 12;

/** In the page: records when the live feed first shows it is disconnected, and the lines shown then. */
const RECORD_DISCONNECT = `(() => {
  new MutationObserver((_, observer) => {
    if (document.querySelector('.live.off')) {
      window.disconnectedAt = Date.now();
      window.linesAtDisconnect = document.querySelectorAll('.log .line').length;
      observer.disconnect();
    }
  }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
})()`;

/** In the page: records when each row's badge first reads "running" (the page's clock = this machine's). */
const RECORD_RUNNING = `(() => {
  const seen = (window.runningAt = {});
  new MutationObserver(() => {
    for (const row of document.querySelectorAll('tr[data-instance]')) {
      const id = row.getAttribute('data-instance');
      if (!seen[id] && row.querySelector('.badge')?.textContent === 'running') seen[id] = Date.now();
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

beforeAll(async () => {
  ensureBuilt();
  home = tempHome();
  browser = await launch();
  context = await newContext(browser);
  page = await context.newPage();
  const script = `for i in $(seq 1 ${LINES}); do echo "console line $i"; done\n`;
  box = await createBox(t, {
    name: 'Console Web',
    events: { install: script },
    variables: [
      { name: 'PORT', type: 'Port', value: '8080', required: true },
      { name: 'ADMIN_PW', type: 'Password', value: 'hunter2-secret' },
      { name: 'MODE', type: 'Options', value: 'fast', options: 'fast,safe' },
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  home?.cleanup();
});

/** Presses Tab until the focused element's text is `name` (at most 40 times). */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate('document.activeElement?.textContent?.trim()')) === name) return;
  }
  throw new Error(`no focusable element named ${name}`);
}

/** Resolves with the time a token-authenticated tail (as the CLI uses) sees the instance done. */
function doneSeenAt(match: (id: string) => boolean): { at: Promise<{ id: string; at: number }>; close(): void } {
  const ws = new WebSocket(`${t.url.replace('https', 'wss')}${TAIL_PATH}?type=instance.state`, {
    ca: t.server.ca,
    headers: { authorization: `Bearer ${t.token}` },
  });
  const at = new Promise<{ id: string; at: number }>((resolve) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type !== 'events') return;
      for (const e of msg.events)
        if (e.data.state === 'done' && match(e.instance)) resolve({ id: e.instance, at: Date.now() });
    });
  });
  return { at, close: () => ws.terminate() };
}

describe('console in a browser', () => {
  it('refuses a wrong password, then signs in to the instances page', async () => {
    await signIn(page, t, 'not-the-password');
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 })
      .toMatch(/Invalid email or password/);
    await signIn(page, t);
    await page.getByRole('heading', { name: 'Instances' }).waitFor({ timeout: 10_000 });
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'eb_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    // Scripts cannot read it.
    expect(await page.evaluate('document.cookie')).not.toContain('eb_session');
  }, 60_000);

  it('shows a deploy made with the CLI, and turns it running within 1 s of the server event', async () => {
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
    await page.evaluate(RECORD_RUNNING);
    const watch = doneSeenAt(() => true);
    const r = await runCli(['deploy', box.id, '--name', 'from-cli', '-t', 'web', '--no-wait', '--json'], {
      env: { ...home.env, ...serverEnv(t) },
    });
    expect(r.code, r.stderr).toBe(0);
    const id = [r.json()].flat()[0].id as string;
    expect(id).toMatch(/^i-/);
    await page.locator(`tr[data-instance="${id}"]`).waitFor({ timeout: 10_000 });
    const done = await watch.at;
    watch.close();
    expect(done.id).toBe(id);
    const shownAtExpr = `window.runningAt[${JSON.stringify(id)}]`;
    await page.waitForFunction(shownAtExpr, undefined, { timeout: 10_000 });
    const shownAt = (await page.evaluate(shownAtExpr)) as number;
    expect(shownAt - done.at).toBeLessThan(1000);
    await expect.poll(() => page.locator(`tr[data-instance="${id}"]`).textContent()).toContain('web');
    await screenshot(page, 'instances');
    await expectAccessible(page, 'instances');
  }, 120_000);

  it('filters instances by state and tag', async () => {
    const rows = page.locator('tr[data-instance]');
    await page.getByLabel('State').selectOption('stopped');
    await expect.poll(() => rows.count()).toBe(0);
    await page.getByLabel('State').selectOption('running');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Tag').selectOption('web');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('State').selectOption('');
    await page.getByLabel('Tag').selectOption('');
  }, 30_000);

  it('instance page: masked password, log lines once each, terminate with confirmation', async () => {
    await page.getByRole('link', { name: 'from-cli' }).click();
    await page.getByRole('heading', { name: 'Variables' }).waitFor({ timeout: 10_000 });
    expect(page.url()).toMatch(/#\/instances\/i-[a-z0-9]+\/from-cli$/);
    const vars = page.locator('section', { has: page.getByRole('heading', { name: 'Variables' }) });
    await expect.poll(() => vars.textContent()).toContain('ADMIN_PW');
    expect(await vars.textContent()).not.toContain('hunter2-secret');
    expect(await vars.textContent()).toContain('••••••••');
    const log = page.getByRole('log');
    await expect.poll(() => log.locator('.line').count(), { timeout: 15_000 }).toBe(LINES);
    const texts = await log.locator('.line').allTextContents();
    expect(texts).toEqual(Array.from({ length: LINES }, (_, i) => `console line ${i + 1}`));
    await expect.poll(() => page.locator('.activity li').count()).toBeGreaterThan(2);
    await screenshot(page, 'instance');
    await expectAccessible(page, 'instance');

    // Terminate: asks first; Cancel does nothing, the confirmation goes ahead.
    await page.getByRole('button', { name: 'Terminate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: 5_000 });
    await screenshot(page, 'instance-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
    await page.getByRole('button', { name: 'Terminate' }).click();
    await dialog.getByRole('button', { name: 'Yes, go ahead' }).click();
    await expect.poll(() => page.locator('main .badge').first().textContent(), { timeout: 60_000 }).toBe('terminated');
    const id = /instances\/([^/]+)\//.exec(page.url())![1];
    const doc = await t.call('GET', `/services/instances/${id}`);
    expect(doc.body.operation.event).toMatch(/^terminate/);
  }, 120_000);

  it('boxes: list and detail; a bad variable value in the deploy form shows the server’s error', async () => {
    await page.getByRole('link', { name: 'Boxes' }).click();
    await page.getByRole('link', { name: 'Console Web' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'boxes');
    await expectAccessible(page, 'boxes');
    await page.getByRole('link', { name: 'Console Web' }).click();
    await page.getByRole('heading', { name: 'Deploy' }).waitFor({ timeout: 10_000 });
    await page.getByLabel('Instance name').fill('bad-port');
    await page.getByLabel(/^PORT/).fill('nope');
    await page.getByLabel(/^MODE/).selectOption('safe');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 })
      .toMatch(/PORT: 'nope' is not a port/);
    await screenshot(page, 'box');
    await expectAccessible(page, 'box');
    const all = (await t.call('GET', '/services/instances')).body as { name: string }[];
    expect(all.map((i) => i.name)).not.toContain('bad-port');

    // The refused values are still in the form, as typed and chosen.
    expect(await page.getByLabel(/^PORT/).inputValue()).toBe('nope');
    expect(await page.getByLabel(/^MODE/).inputValue()).toBe('safe');
    // Corrected, the same form deploys: the page moves to the new instance, which turns running
    // with the values typed in (the password too, though the page never shows it).
    await page.getByLabel('Instance name').fill('from-form');
    await page.getByLabel(/^PORT/).fill('9090');
    await page.getByLabel(/^ADMIN_PW/).fill('typed-secret');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.waitForURL(/#\/instances\/i-[a-z0-9]+\/from-form$/, { timeout: 10_000 });
    await expect.poll(() => page.locator('main .badge').first().textContent(), { timeout: 60_000 }).toBe('running');
    expect(await page.locator('main').textContent()).not.toContain('typed-secret');
    const id = /instances\/([^/]+)\//.exec(page.url())![1];
    const doc = (await t.call('GET', `/services/instances/${id}`)).body;
    const byName = Object.fromEntries(doc.variables.map((v: any) => [v.name, v.value]));
    expect(byName).toMatchObject({ PORT: '9090', MODE: 'safe', ADMIN_PW: 'typed-secret' });
  }, 120_000);

  it('events page shows the workspace stream', async () => {
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('table', { name: 'Events' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 10_000 }).toBeGreaterThan(5);
    expect(await page.locator('tbody').textContent()).toContain('instance.state');
    await screenshot(page, 'events');
    await expectAccessible(page, 'events');
  }, 60_000);

  it('a page on another origin cannot open the event websocket', async () => {
    const evil = await context.newPage();
    await evil.route('https://evil.example/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>evil</title><p>evil</p>' }),
    );
    await evil.goto('https://evil.example/');
    const wsUrl = `${t.url.replace('https', 'wss')}${TAIL_PATH}`;
    const outcome = await evil.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          // globalThis: the page's own WebSocket (vitest rewrites the test file's imported name).
          const ws = new (globalThis as any).WebSocket(url) as WebSocket;
          ws.onopen = () => resolve('open');
          ws.onmessage = () => resolve('message');
          ws.onclose = () => resolve('closed');
        }),
      wsUrl,
    );
    expect(outcome).toBe('closed');
    await evil.close();
    // The console's own page still opens it.
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
  }, 30_000);

  it('log tail shows every script line exactly once across a server restart', async () => {
    const total = 40;
    const slow = await createBox(t, {
      name: 'Console Slow',
      events: { install: `for i in $(seq 1 ${total}); do echo "slow line $i"; sleep 0.1; done\n` },
    });
    const res = await deploy(t, slow.id, 'slow-log');
    expect(res.status, res.text).toBe(202);
    await page.goto(`${t.url}/#/instances/${res.body.id}/slow-log`);
    const lines = page.getByRole('log').locator('.line');
    await expect.poll(() => lines.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(5);
    await page.evaluate(RECORD_DISCONNECT);
    await restartSamePort(t);
    // The page saw its socket drop while the script was still writing, then reconnected.
    await page.waitForFunction('window.disconnectedAt', undefined, { timeout: 30_000 });
    expect(await page.evaluate('window.linesAtDisconnect')).toBeLessThan(total);
    await expect.poll(() => lines.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(total);
    // The tail resumed after the last seq it had: nothing lost, nothing repeated.
    expect(await lines.allTextContents()).toEqual(Array.from({ length: total }, (_, i) => `slow line ${i + 1}`));
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
  }, 120_000);

  it('signs out, and another tab of the same session returns to the sign-in form', async () => {
    const other = await context.newPage();
    await other.goto(`${t.url}/#/events`);
    await other.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor({ timeout: 10_000 });
    // The other tab's socket is closed by the server; the page goes back to the sign-in form.
    await other.getByRole('heading', { name: 'Sign in to the console' }).waitFor({ timeout: 10_000 });
    await other.close();
    await screenshot(page, 'sign-in');
    await expectAccessible(page, 'sign-in');
    expect((await context.cookies()).find((c) => c.name === 'eb_session')).toBeUndefined();
  }, 30_000);

  it('is usable with the keyboard alone: sign in, move between pages, open and cancel a confirmation', async () => {
    await page.goto(`${t.url}/`);
    const email = page.getByLabel('Email');
    await email.waitFor({ timeout: 10_000 });
    // The email field takes the focus on load: wait for it (keys typed before would be lost).
    const handle = await email.elementHandle();
    await page.waitForFunction(
      (el: unknown) =>
        (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement === el,
      handle,
      { timeout: 10_000 },
    );
    await page.keyboard.type(ADMIN_EMAIL);
    await page.keyboard.press('Tab');
    await page.keyboard.type(adminPassword(t));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Instances' }).waitFor({ timeout: 10_000 });
    await tabTo(page, 'Boxes');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Boxes' }).waitFor({ timeout: 10_000 });
    await tabTo(page, 'Instances');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'slow-log' }).waitFor({ timeout: 10_000 });
    await tabTo(page, 'slow-log');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Variables' }).waitFor({ timeout: 10_000 });
    await tabTo(page, 'Shut down');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: 5_000 });
    // Focus is inside the dialog, on Cancel; Enter cancels and nothing is started.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
    expect(await page.getByRole('alert').count()).toBe(0);
  }, 60_000);
});
