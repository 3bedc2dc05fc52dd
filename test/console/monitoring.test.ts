/**
 * The console's monitoring pages in a real browser (issue 15, "when the monitoring issue has
 * landed"): a real control plane, the built Watcher program as its own process running real check
 * scripts (as test/monitoring/watcher-e2e.test.ts does), Chromium from Debian. Alerts appear
 * within a second of their event, are acknowledged and silenced from the page through the MSA API
 * (cookie session + CSRF token), check states and metric charts show per machine and refresh live.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { ensureBuilt } from '../cli/helpers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createCheck } from '../monitoring/helpers.js';
import { fastMonitoring, seedMachine, spawnWatcher, type SeededMachine } from '../monitoring/watcher-helpers.js';
import { TAIL_PATH } from '../../src/shared/protocol.js';
import { ADMIN_EMAIL } from '../../src/server/bootstrap.js';
import { expectAccessible, launch, newContext, screenshot, signIn } from './browser.js';

let t: TestServer;
let browser: Browser;
let page: Page;
let m: SeededMachine;
let watcher: ChildProcess | undefined;
let flag: string;

/** In the page: records when a row of the alerts table first names `check` (and when it left). */
const recordAlertRow = (check: string) => `(() => {
  const rec = (window.alertRow = {});
  const has = () => [...document.querySelectorAll('tr[data-alert]')].some((r) => r.children[2]?.textContent === ${JSON.stringify(check)});
  new MutationObserver(() => {
    const now = has();
    if (now && !rec.shownAt) rec.shownAt = Date.now();
    if (!now && rec.shownAt && !rec.goneAt) rec.goneAt = Date.now();
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

/** Resolves with the time a token-authenticated tail (as the CLI uses) receives an alert event. */
function eventSeenAt(
  type: string,
  check: string,
): { ready: Promise<unknown>; at: Promise<{ data: any; at: number }>; close(): void } {
  const ws = new WebSocket(`${t.url.replace('https', 'wss')}${TAIL_PATH}?type=${type}`, {
    ca: t.server.ca,
    headers: { authorization: `Bearer ${t.token}` },
  });
  const at = new Promise<{ data: any; at: number }>((resolve) => {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type !== 'events') return;
      for (const e of msg.events) if (e.data.check === check) resolve({ data: e.data, at: Date.now() });
    });
  });
  const ready = new Promise((r) => ws.once('open', r));
  return { ready, at, close: () => ws.terminate() };
}

/** Presses Tab until the focused element's text is `name` (at most 60 times). */
async function tabTo(name: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate('document.activeElement?.textContent?.trim()')) === name) return;
  }
  throw new Error(`no focusable element named ${name}`);
}

const alertsOf = async (state = 'all') =>
  (await t.call('GET', `/services/msa/alerts?instance=${m.instance}&state=${state}`)).body as any[];

beforeAll(async () => {
  ensureBuilt();
  fastMonitoring();
  t = await startTestServer();
  m = await seedMachine(t, ['web']);
  flag = join(m.dir, 'healthy');
  browser = await launch();
  page = await (await newContext(browser)).newPage();
  await signIn(page, t);
  await page.getByRole('heading', { name: 'Instances' }).waitFor({ timeout: 10_000 });
}, 60_000);

afterAll(async () => {
  if (watcher && watcher.exitCode === null && watcher.signalCode === null) {
    // SIGTERM lets it stop its running check's process group; SIGKILL if it has not gone in 5 s.
    const gone = new Promise((r) => watcher!.once('exit', r));
    watcher.kill('SIGTERM');
    const late = setTimeout(() => watcher!.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(late);
  }
  await browser?.close();
  await t?.stop();
  if (m) rmSync(m.dir, { recursive: true, force: true });
});

describe('console monitoring pages in a browser', () => {
  it('an alert opened by a failing check appears on the alerts page within 1 s of its event', async () => {
    // Reached with the keyboard alone.
    await tabTo('Alerts');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Alerts' }).waitFor({ timeout: 10_000 });
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
    await page.evaluate(recordAlertRow('flag-file'));
    const opened = eventSeenAt('alert.open', 'flag-file');
    await opened.ready;
    await createCheck(t, {
      name: 'flag-file',
      command: `if [ -f ${flag} ]; then echo "OK: flag present | up=1"; else echo "CRITICAL: flag missing | up=0"; exit 2; fi`,
      interval: 1,
      timeout: 5,
      output_metric_format: 'nagios_perfdata',
      target: { tags: ['web'] },
    });
    await createCheck(t, {
      name: 'always-warn',
      command: 'echo "WARNING: disk 91% | disk_used=91"; exit 1',
      interval: 1,
      timeout: 5,
      output_metric_format: 'nagios_perfdata',
      target: { tags: ['web'] },
    });
    watcher = spawnWatcher(t, m);
    const event = await opened.at;
    opened.close();
    expect(event.data).toMatchObject({ machine: m.machine, status: 'critical' });
    await expect.poll(() => page.evaluate('window.alertRow.shownAt'), { timeout: 10_000 }).toBeTruthy();
    const shownAt = (await page.evaluate('window.alertRow.shownAt')) as number;
    expect(shownAt - event.at).toBeLessThan(1000);

    const row = page.locator(`tr[data-alert="${event.data.alert}"]`);
    expect(await row.textContent()).toContain('CRITICAL: flag missing');
    expect(await row.locator('.badge').textContent()).toBe('critical');
    await page.locator('tr[data-alert]', { hasText: 'always-warn' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'alerts');
    await expectAccessible(page, 'alerts');
  }, 60_000);

  it('acknowledges an alert from the page (keyboard and confirmation) and the server records it', async () => {
    const [alert] = (await alertsOf('open')).filter((a) => a.check === 'flag-file');
    expect(alert.acknowledged).toBe(false);
    const row = page.locator(`tr[data-alert="${alert.id}"]`);
    await row.getByRole('button', { name: 'Acknowledge' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: 5_000 });
    expect(await dialog.textContent()).toContain(`Acknowledge the alert flag-file on ${m.machine}?`);
    await screenshot(page, 'alerts-confirm');
    // Focus starts on Cancel; the confirmation is one Shift+Tab away.
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Yes, go ahead');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
    await expect.poll(() => row.locator('.handling').textContent(), { timeout: 5_000 }).toContain(ADMIN_EMAIL);
    // The focus goes to the outcome, not lost with the now disabled button (once the request's
    // answer is in: the list may show the acknowledgement first, from its event).
    await expect
      .poll(() => page.evaluate('document.activeElement.textContent'), { timeout: 5_000 })
      .toBe(`flag-file on ${m.machine}: acknowledged`);
    const stored = (await alertsOf('open')).find((a) => a.id === alert.id);
    expect(stored).toMatchObject({ acknowledged: true, acknowledged_by: ADMIN_EMAIL });
    expect(await row.getByRole('button', { name: 'Acknowledge' }).isDisabled()).toBe(true);
  }, 30_000);

  it('shows the recovery live: the alert leaves the open list within 1 s of its resolve event', async () => {
    const [alert] = (await alertsOf('open')).filter((a) => a.check === 'flag-file');
    const resolved = eventSeenAt('alert.resolve', 'flag-file');
    await resolved.ready;
    await page.evaluate(recordAlertRow('flag-file'));
    // The row is there now: the recorder starts from "shown".
    await page.evaluate('window.alertRow.shownAt = 1');
    writeFileSync(flag, '');
    const event = await resolved.at;
    resolved.close();
    expect(event.data.alert).toBe(alert.id);
    await expect.poll(() => page.evaluate('window.alertRow.goneAt'), { timeout: 10_000 }).toBeTruthy();
    expect(((await page.evaluate('window.alertRow.goneAt')) as number) - event.at).toBeLessThan(1000);
    await page.getByLabel('State').selectOption('resolved');
    await page.locator(`tr[data-alert="${alert.id}"]`).waitFor({ timeout: 10_000 });
    await page.getByLabel('State').selectOption('open');
  }, 30_000);

  it('shows an acknowledgement made elsewhere (the CLI’s API call) within 1 s of its event', async () => {
    const [alert] = (await alertsOf('open')).filter((a) => a.check === 'always-warn');
    const row = page.locator(`tr[data-alert="${alert.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.evaluate((tr) => {
      const w = globalThis as any;
      new w.MutationObserver((_: unknown, observer: any) => {
        if (tr.querySelector('.handling')?.textContent?.includes('acknowledged')) {
          w.ackShownAt = Date.now();
          observer.disconnect();
        }
      }).observe(w.document.body, { subtree: true, childList: true, characterData: true });
    });
    const acked = eventSeenAt('alert.ack', 'always-warn');
    await acked.ready;
    expect((await t.call('PUT', `/services/msa/alerts/${alert.id}/ack`)).status).toBe(200);
    const event = await acked.at;
    acked.close();
    await expect.poll(() => page.evaluate('window.ackShownAt'), { timeout: 10_000 }).toBeTruthy();
    expect(((await page.evaluate('window.ackShownAt')) as number) - event.at).toBeLessThan(1000);
  }, 30_000);

  it('silences an alert with an expiry from the page', async () => {
    const [alert] = (await alertsOf('open')).filter((a) => a.check === 'always-warn');
    await page.getByLabel('Silence for').selectOption('4h');
    const row = page.locator(`tr[data-alert="${alert.id}"]`);
    await row.getByRole('button', { name: 'Silence' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: 5_000 });
    expect(await dialog.textContent()).toContain(`Silence always-warn on ${m.machine} for 4h?`);
    await dialog.getByRole('button', { name: 'Yes, go ahead' }).click();
    await expect.poll(() => row.locator('.handling').textContent(), { timeout: 5_000 }).toContain('silenced');
    expect((await alertsOf('open')).find((a) => a.id === alert.id)).toMatchObject({ silenced: true });
    const states = (await t.call('GET', `/services/msa/results?instance=${m.instance}`)).body as any[];
    const until = states.find((s) => s.check === 'always-warn').silenced_until as string;
    const hours = (Date.parse(`${until.replace(' ', 'T')}Z`) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(3.9);
    expect(hours).toBeLessThanOrEqual(4);
  }, 30_000);

  it('instance page: check states per machine and a live metric chart', async () => {
    await page.goto(`${t.url}/#/instances/${m.instance}`);
    const checks = page.locator('section', { has: page.getByRole('heading', { name: 'Checks' }) });
    const state = (check: string) => checks.locator(`tr[data-check="${check}"][data-machine="${m.machine}"] .badge`);
    await expect.poll(() => state('flag-file').textContent(), { timeout: 10_000 }).toBe('ok');
    expect(await state('always-warn').textContent()).toBe('warning');
    expect(await checks.textContent()).toContain('silenced until');
    // Live: a failure shows without reloading the page.
    rmSync(flag);
    await expect.poll(() => state('flag-file').textContent(), { timeout: 10_000 }).toBe('critical');

    await page.getByLabel('Metric', { exact: true }).selectOption('up');
    await page.getByLabel('Range', { exact: true }).selectOption('5m');
    await page.getByLabel('Step', { exact: true }).selectOption('1s');
    const chart = page.locator(`figure[data-machine="${m.machine}"] svg.chart`);
    const points = async () => Number(await chart.getAttribute('data-points'));
    await expect.poll(points, { timeout: 10_000 }).toBeGreaterThan(1);
    const before = await points();
    // The Watcher keeps reporting every second: the chart grows without a reload.
    await expect.poll(points, { timeout: 10_000 }).toBeGreaterThan(before);
    const drawn = await chart.evaluate((svg) => [
      Number(svg.getAttribute('data-points')),
      svg.querySelectorAll('circle.pt').length,
    ]);
    expect(drawn[1]).toBe(drawn[0]);
    expect(await chart.getAttribute('aria-label')).toMatch(/^up on m-[0-9a-f]+: \d+ points, last 0/);
    await screenshot(page, 'instance-monitoring');
    await expectAccessible(page, 'instance-monitoring');

    // A range too long for the step: the server's error is shown.
    await page.getByLabel('Range', { exact: true }).selectOption('24h');
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 })
      .toMatch(/more than 10000 steps/);
    await page.getByLabel('Range', { exact: true }).selectOption('5m');
  }, 60_000);

  it('checks page lists the check definitions and, live, the machines where each is not OK', async () => {
    await page.getByRole('link', { name: 'Checks' }).click();
    // The Checks page's own table: the instance page, left just now, has a "Checks" table too (its
    // machines' check states), which a role-and-name lookup could find while the page changes.
    await page.waitForURL(/#\/checks/);
    const checks = page.locator('table[aria-label="Checks"]');
    await checks.waitFor({ timeout: 10_000 });
    await checks.locator('tr[data-check="flag-file"]').waitFor({ timeout: 10_000 });
    expect(await checks.locator('tr[data-check="always-warn"]').textContent()).toContain('tags web');
    // Where each check is not OK: flag-file failed again on the instance page's machine.
    const notOk = checks.locator('tr[data-check="flag-file"] .not-ok');
    await expect.poll(() => notOk.textContent(), { timeout: 10_000 }).toMatch(new RegExp(`critical\\s*${m.machine}`));
    await expect
      .poll(() => checks.locator('tr[data-check="always-warn"] .not-ok').textContent(), { timeout: 10_000 })
      .toContain('warning');
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
    // Its recovery shows live (the alert.resolve event).
    writeFileSync(flag, '');
    await expect.poll(() => notOk.textContent(), { timeout: 10_000 }).toBe('none');
    await screenshot(page, 'checks');
    await expectAccessible(page, 'checks');
  }, 30_000);
});
