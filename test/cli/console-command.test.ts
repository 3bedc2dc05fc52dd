/**
 * `ebcli console` and the console links of `instances show` and `deploy` on a TTY (issue 15). The
 * desktop's opener (xdg-open) lies outside the project: a stand-in on PATH records what it was given.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBox, settled, useE2eServer } from '../e2e/helpers.js';
import type { TestServer } from '../helpers/server.js';
import { BIN, ensureBuilt, runCli, seedInstance, serverEnv, tempHome, type TempHome } from './helpers.js';

let t: TestServer;
useE2eServer((s) => (t = s));
let home: TempHome;
let env: Record<string, string>;

beforeAll(() => {
  ensureBuilt();
  home = tempHome();
  env = { ...home.env, ...serverEnv(t) };
});
afterAll(() => home?.cleanup());

/** A stand-in xdg-open that appends its arguments to a file. */
function fakeOpener(): { path: string; calls: () => string[] } {
  const dir = join(home.home, 'bin');
  mkdirSync(dir, { recursive: true });
  const log = join(home.home, 'opened.txt');
  writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\necho "$@" >> '${log}'\n`);
  chmodSync(join(dir, 'xdg-open'), 0o755);
  return {
    path: `${dir}:${process.env.PATH}`,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

/** Runs the CLI on a pseudo-terminal (util-linux `script`). */
function onTty(args: string[]): Promise<string> {
  const command = ['node', BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH, TERM: 'xterm', ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stdin.end();
  return new Promise((resolve) => child.on('close', () => resolve(out)));
}

describe('ebcli console', () => {
  it('prints the console URL when there is no display, and opens nothing', async () => {
    const opener = fakeOpener();
    const r = await runCli(['console'], { env: { ...env, PATH: opener.path } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${t.url}/\n`);
    expect(r.stderr).toMatch(/Open this address in a browser/);
    expect(opener.calls()).toEqual([]);
    const json = await runCli(['console', '--json'], { env });
    expect(json.json()).toEqual({ url: `${t.url}/`, opened: false });
  });

  it("opens the console, or an instance's page, in the browser when there is a display", async () => {
    const opener = fakeOpener();
    const doc = await seedInstance(t, { name: 'web one' });
    const withDisplay = { ...env, PATH: opener.path, DISPLAY: ':99' };
    const r = await runCli(['console'], { env: withDisplay });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Opened in your browser/);
    const page = await runCli(['console', doc.id], { env: withDisplay });
    expect(page.stdout).toBe(`${t.url}/#/instances/${doc.id}/web%20one\n`);
    expect(opener.calls()).toEqual([`${t.url}/`, `${t.url}/#/instances/${doc.id}/web%20one`]);
  });
});

describe('console links on a TTY', () => {
  it('instances show prints the instance console link on a TTY only', async () => {
    const doc = await seedInstance(t, { name: 'linked' });
    const link = `${t.url}/#/instances/${doc.id}/linked`;
    expect(await onTty(['instances', 'show', doc.id])).toContain(link);
    const piped = await runCli(['instances', 'show', doc.id], { env });
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toContain('#/instances/');
  });

  it('deploy prints the new instance console link on a TTY', async () => {
    const box = await createBox(t, { name: 'Tty Link', events: { install: 'echo ok\n' } });
    const out = await onTty(['deploy', box.id, '--name', 'tty-link', '--no-wait']);
    const id = /\((i-[a-z0-9]+)\)/.exec(out)?.[1];
    expect(id, out).toBeDefined();
    expect(out).toContain(`console: ${t.url}/#/instances/${id}/tty-link`);
    // Clean up: once the deploy has finished (a busy instance refuses another operation), terminate.
    expect((await settled(t, id!)).state).toBe('done');
    const done = await runCli(['instances', 'terminate', id!, '--yes', '--json'], { env, timeoutMs: 60_000 });
    expect(done.code, `${done.stdout} ${done.stderr}`).toBe(0);
  }, 90_000);
});
