import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestServer } from '../helpers/server.js';
import { seedInstance, ROOT } from '../cli/helpers.js';
import { upsertMachine } from '../../src/server/workflows/store/machines.js';

/** Short monitoring timings for a test file; call before the server starts. */
export function fastMonitoring(): void {
  process.env.EBCLI_WATCHER_KEEPALIVE = '300ms';
  process.env.EBCLI_WATCHER_KEEPALIVE_TIMEOUT = '2s';
  process.env.EBCLI_WATCHER_TOLERANCE = '30s';
}

export interface SeededMachine {
  instance: string;
  machine: string;
  token: string;
  tokenFile: string;
  dir: string;
}

/** An instance with one machine and its machine token (in a 0600 file, as a provider leaves it). */
export async function seedMachine(t: TestServer, tags: string[] = []): Promise<SeededMachine> {
  const inst = await seedInstance(t, { tags });
  const machine = `m-${randomBytes(4).toString('hex')}`;
  const token = `machine-token-${randomBytes(16).toString('hex')}`;
  const providerId = (await t.call('GET', '/services/workspaces/admin/providers')).body[0].id;
  await upsertMachine(t.server.db, {
    name: machine,
    instanceId: inst.id,
    workspace: 'admin',
    serviceId: 'eb-seed0',
    providerId,
    token,
    address: { public: '127.0.0.1', private: '127.0.0.1' },
  });
  // A machine that should be up: the keepalive monitor watches only running machines.
  await t.server.db.updateTable('machines').set({ state: 'running' }).where('name', '=', machine).execute();
  const dir = mkdtempSync(join(tmpdir(), 'ebcli-watcher-'));
  const tokenFile = join(dir, 'machine-token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  return { instance: inst.id, machine, token, tokenFile, dir };
}

/** Starts the built Watcher program (dist/watcher/main.js) for a seeded machine. */
export function spawnWatcher(
  t: TestServer,
  m: SeededMachine,
  extra: Record<string, string> = {},
): ChildProcess & { log: () => string } {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'watcher', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      EBCLI_WATCHER_SERVER: t.url,
      EBCLI_WATCHER_CA: join(t.dataDir, 'tls', 'ca.pem'),
      EBCLI_WATCHER_DIR: join(m.dir, 'state'),
      EBCLI_WATCHER_TOKEN_FILE: m.tokenFile,
      ...extra,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return Object.assign(child, { log: () => log });
}

export async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
