/**
 * The one-liner `ebcli machines register` prints, run as printed (curl | sh) for the current user:
 * the bootstrap downloads the agent over TLS, checks its sha256, writes its configuration, starts
 * it supervised, and the machine comes online. Also: the checksum refusal, the missing-Node
 * message, and the agent and the bootstrap going through an HTTP CONNECT proxy with basic
 * credentials (a test-only proxy, test/helpers/connect-proxy.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, serverEnv, tempHome } from '../cli/helpers.js';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AGENT_BUNDLE, until } from '../helpers/standalone-agent.js';
import { processAlive } from '../../src/shared/process.js';

let t: TestServer | undefined;
let proxy: ConnectProxy | undefined;
const dirs: string[] = [];
const supervisors: number[] = [];

afterAll(async () => {
  // The supervisor runs in its own session (setsid): its group is it and the agent.
  for (const pid of supervisors) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  await until(() => supervisors.every((p) => !processAlive(p)), 'the supervisors to stop', 15_000).catch(() => {
    for (const pid of supervisors) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  await proxy?.close();
  await t?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function sh(
  command: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const baseEnv = (home: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  EBCLI_AGENT_MODE: 'user',
});

describe('bootstrap one-liner', () => {
  it('installs and starts the agent for the current user; the machine comes online with its claims', async () => {
    ensureBuilt();
    t = await startTestServer();
    const home = tempHome();
    dirs.push(home.home);
    const env = { ...home.env, ...serverEnv(t) };
    const reg = await runCli(['machines', 'register', '--claims', 'linux,web', '--expires', '10m', '--json'], { env });
    expect(reg.code, reg.stderr).toBe(0);
    const enrollment = reg.json();
    const human = await runCli(['machines', 'register'], { env });
    expect(human.stdout.split('\n')[0]).toMatch(/^curl -fsS .* \| sudo env EBCLI_ENROLL_TOKEN='eb_[^']+' sh$/);

    const hostHome = mkdtempSync(join(tmpdir(), 'ebcli-host-'));
    dirs.push(hostHome);
    const run = await sh(enrollment.user_command, baseEnv(hostHome));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('sha256 verified');
    const base = join(hostHome, '.ebcli-agent');
    const pid = Number(readFileSync(join(base, 'state', 'agent.pid'), 'utf8'));
    supervisors.push(pid);

    const expectedSha = createHash('sha256').update(readFileSync(AGENT_BUNDLE)).digest('hex');
    expect(
      createHash('sha256')
        .update(readFileSync(join(base, 'ebcli-agent.mjs')))
        .digest('hex'),
    ).toBe(expectedSha);
    const conf = JSON.parse(readFileSync(join(base, 'agent.conf'), 'utf8'));
    expect(conf).toMatchObject({ url: t.server.publicUrl, log_file: join(base, 'agent.log') });
    expect(statSync(join(base, 'agent.conf')).mode & 0o777).toBe(0o600);

    const online = await until(
      async () => {
        const list = await runCli(['machines', 'list', '--json'], { env });
        return (list.json() as any[]).find((m) => m.state === 'online');
      },
      'the machine online',
      30_000,
    );
    expect(online.claims).toEqual(['linux', 'web']);
    const show = await runCli(['machines', 'show', online.id], { env });
    expect(show.stdout).toMatch(/state\s+online/);
    expect(statSync(join(base, 'credential')).mode & 0o777).toBe(0o600);
    expect(() => statSync(join(base, 'enrollment'))).toThrow(/ENOENT/);
    const log = readFileSync(join(base, 'agent.log'), 'utf8');
    expect(log).toContain('"agent connected"');
    expect(log).not.toContain(enrollment.token);
    // The Watcher runs beside the agent (issue 14): enrolled under the host, its own credentials.
    const watcher = await until(
      async () =>
        (await t!.server.db.selectFrom('watchers').selectAll().where('machine', '=', online.id).executeTakeFirst())
          ?.last_seen
          ? true
          : undefined,
      'the Watcher connected',
      30_000,
    );
    expect(watcher).toBe(true);
    expect(statSync(join(base, 'state', 'watcher', 'key.pem')).mode & 0o777).toBe(0o600);

    // Removed: its agent is disconnected and refused; the machine leaves the list.
    const removed = await runCli(['machines', 'remove', online.id, '--json'], { env });
    expect(removed.code, removed.stderr).toBe(0);
    const after = await runCli(['machines', 'list', '--json'], { env });
    expect(after.json()).toEqual([]);
    await until(() => /refused the agent connection/.test(readFileSync(join(base, 'agent.log'), 'utf8')), 'a refusal');
    home.cleanup();
  }, 120_000);

  it('refuses an agent whose sha256 differs and says what to install without Node 18', async () => {
    const server = t as TestServer;
    const script = (await server.call('GET', '/services/agent/bootstrap.sh', { token: null })).text;
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'ebcli-host-'));
    dirs.push(dir);
    const tampered = script.replace(/^EBCLI_AGENT_SHA256='[0-9a-f]{64}'$/m, `EBCLI_AGENT_SHA256='${'0'.repeat(64)}'`);
    expect(tampered).not.toBe(script);
    writeFileSync(join(dir, 'tampered.sh'), tampered);
    const bad = await sh(`sh ${join(dir, 'tampered.sh')}`, { ...baseEnv(dir), EBCLI_ENROLL_TOKEN: 'eb_unused' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`expected ${'0'.repeat(64)}: not installed`);
    expect(() => statSync(join(dir, '.ebcli-agent', 'ebcli-agent.mjs'))).toThrow(/ENOENT/);

    writeFileSync(join(dir, 'bootstrap.sh'), script);
    const noNode = await sh(`sh ${join(dir, 'bootstrap.sh')}`, {
      ...baseEnv(dir),
      EBCLI_ENROLL_TOKEN: 'eb_unused',
      EBCLI_NODE: '/bin/false',
    });
    expect(noNode.code).toBe(1);
    expect(noNode.stderr).toContain('the agent needs Node.js 18 or later');
    expect(noNode.stderr).toContain('apt-get install nodejs');
  }, 60_000);

  it('goes through an HTTP CONNECT proxy with basic credentials: the download, the enrollment and the agent channel', async () => {
    const server = t as TestServer;
    proxy = await startConnectProxy({ user: 'agent', password: 's3cret:pw' });
    const home = tempHome();
    dirs.push(home.home);
    const env = { ...home.env, ...serverEnv(server) };
    const enrollment = (await runCli(['machines', 'register', '--json'], { env })).json();
    const hostHome = mkdtempSync(join(tmpdir(), 'ebcli-host-'));
    dirs.push(hostHome);
    const run = await sh(enrollment.user_command.replace(/^curl /, `curl --proxy '${proxy.url}' `), {
      ...baseEnv(hostHome),
      EBCLI_PROXY: proxy.url,
    });
    expect(run.code, run.stderr).toBe(0);
    supervisors.push(Number(readFileSync(join(hostHome, '.ebcli-agent', 'state', 'agent.pid'), 'utf8')));
    const conf = JSON.parse(readFileSync(join(hostHome, '.ebcli-agent', 'agent.conf'), 'utf8'));
    expect(conf.proxy).toBe(proxy.url);
    const target = new URL(server.url).host;
    await until(async () => {
      const list = (await server.call('GET', '/services/machines')).body as any[];
      return list.some((m) => m.state === 'online');
    }, 'the proxied machine online');
    // The one-liner, the agent download, the enrollment and the websocket: each a tunnel to the control plane.
    expect(proxy.tunnels.filter((x) => x === target).length).toBeGreaterThanOrEqual(4);
    expect(proxy.refused).toBe(0);
    const log = readFileSync(join(hostHome, '.ebcli-agent', 'agent.log'), 'utf8');
    expect(log).toContain(`"proxy":"http://${new URL(proxy.url).host}/"`);
    expect(log).not.toContain('s3cret');
    home.cleanup();
  }, 120_000);
});
