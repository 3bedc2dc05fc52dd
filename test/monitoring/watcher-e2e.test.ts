/**
 * End to end: a real control plane, the built Watcher program as its own process (own credentials,
 * own websocket), real check scripts, and `ebcli events -f` as a user runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { BIN, ensureBuilt, runCli, serverEnv, tempHome, type TempHome } from '../cli/helpers.js';
import { createCheck } from './helpers.js';
import { fastMonitoring, seedMachine, spawnWatcher, until, type SeededMachine } from './watcher-helpers.js';

let t: TestServer;
let home: TempHome;
let m: SeededMachine;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  fastMonitoring();
  t = await startTestServer();
  home = tempHome();
  m = await seedMachine(t, ['web']);
});
/** Stops a child and waits for it to be gone (it may still be writing into its state folder). */
async function stopChild(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  await gone;
}

afterAll(async () => {
  for (const c of children) await stopChild(c, 'SIGKILL');
  await t.stop();
  home.cleanup();
  rmSync(m.dir, { recursive: true, force: true });
});

function follow(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'events', '-f', '--json', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...home.env, ...serverEnv(t) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const events = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; data: Record<string, any> });
  return { child, events };
}

describe('Watcher end to end', () => {
  it(
    'a failing check opens an alert seen by `events -f`, recovery resolves it, a killed Watcher opens the keepalive alert',
    { timeout: 90_000 },
    async () => {
      const flag = join(m.dir, 'healthy');
      await createCheck(t, {
        name: 'flag-file',
        command: `if [ -f ${flag} ]; then echo "OK: flag present | up=1"; else echo "CRITICAL: flag missing | up=0"; exit 2; fi`,
        interval: 1,
        timeout: 5,
        output_metric_format: 'nagios_perfdata',
        target: { tags: ['web'] },
      });
      const tail = follow(['--instance', m.instance]);
      const watcher = spawnWatcher(t, m);
      children.push(watcher);

      const opened = await until(
        () => tail.events().find((e) => e.type === 'alert.open' && e.data.check === 'flag-file'),
        30_000,
        'alert.open',
      );
      expect(opened.data).toMatchObject({ machine: m.machine, status: 'critical', message: 'CRITICAL: flag missing' });

      writeFileSync(flag, '');
      const resolved = await until(
        () => tail.events().find((e) => e.type === 'alert.resolve' && e.data.check === 'flag-file'),
        30_000,
        'alert.resolve',
      );
      expect(resolved.data).toMatchObject({ alert: opened.data.alert, status: 'ok' });

      // The Watcher enrolled with its own key and password; the server keeps only the public key and a hash.
      const row = await t.server.db
        .selectFrom('watchers')
        .selectAll()
        .where('machine', '=', m.machine)
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^sha256\$[0-9a-f]{64}$/);
      expect(row.public_key).toMatch(/^MCowBQYDK2Vw/); // SPKI prefix of an Ed25519 key
      expect(existsSync(join(m.dir, 'state', 'key.pem'))).toBe(true);
      // Metrics came from the perfdata.
      const values = async (agg: string): Promise<number[]> =>
        (
          await t.call(
            'GET',
            `/services/msa/metrics?instance=${m.instance}&metric=up&since=1h&step=1h&aggregate=${agg}`,
          )
        ).body.series[0].points.map((p: any) => p.value);
      expect([Math.min(...(await values('min'))), Math.max(...(await values('max')))]).toEqual([0, 1]);

      watcher.kill('SIGKILL');
      const lost = await until(
        () => tail.events().find((e) => e.type === 'alert.open' && e.data.check === 'keepalive'),
        30_000,
        'keepalive alert',
      );
      expect(lost.data).toMatchObject({ machine: m.machine, status: 'critical' });
      expect(String(lost.data.message)).toMatch(/no keepalive from Watcher/);

      // Started again, it is back: the keepalive alert resolves.
      const again = spawnWatcher(t, m);
      children.push(again);
      await until(
        () => tail.events().find((e) => e.type === 'alert.resolve' && e.data.check === 'keepalive'),
        30_000,
        'keepalive resolve',
      );
      again.kill('SIGTERM');
      tail.child.kill('SIGINT');
    },
  );

  it('`ebcli checks run` has the Watcher run a check at once, outside its schedule', { timeout: 60_000 }, async () => {
    const n = await seedMachine(t, ['on-demand']);
    let watcher: ChildProcess | undefined;
    try {
      await createCheck(t, {
        name: 'daily',
        command: 'echo "OK: ran on demand"',
        interval: 86_400,
        target: { tags: ['on-demand'] },
      });
      const env = { ...home.env, ...serverEnv(t) };
      const none = await runCli(['checks', 'run', n.instance], { env });
      expect(none.code).not.toBe(0);
      expect(none.stderr).toMatch(/no Watcher of instance .* is connected/);

      watcher = spawnWatcher(t, n);
      children.push(watcher);
      await until(
        async () =>
          (await t.call('GET', `/services/msa/watchers?instance=${n.instance}`)).body[0]?.last_seen ?? undefined,
        30_000,
        'watcher connected',
      );
      const run = await runCli(['checks', 'run', n.instance, '--check', 'daily', '--json'], { env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.json()).toMatchObject({ machines: [n.machine], checks: ['daily'] });
      const state = await until(
        async () =>
          (await t.call('GET', `/services/msa/results?instance=${n.instance}`)).body.find(
            (x: any) => x.check === 'daily',
          ),
        30_000,
        'on-demand result',
      );
      expect(state).toMatchObject({ status: 'ok', output: 'OK: ran on demand\n' });
    } finally {
      if (watcher) await stopChild(watcher);
      rmSync(n.dir, { recursive: true, force: true });
    }
  });
});
