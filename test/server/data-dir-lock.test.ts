import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../cli/helpers.js';
import { DataDirLockedError } from '../../src/shared/data-dir-lock.js';
import { startServer } from '../../src/server/start.js';
import { dataFiles } from '../../src/shared/paths.js';
import { processAlive } from '../../src/shared/process.js';
import { SERVER_MALLOC_TUNABLE } from '../../src/shared/server-process-env.js';
import { databaseEnv, dropTestDatabase, testDatabaseUrl } from '../helpers/store.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ebcli-lock-'));
  dirs.push(d);
  return d;
};
const cliPids: number[] = [];
afterAll(async () => {
  for (const pid of cliPids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const d of dbKeys) await dropTestDatabase(d);
});
/** The data directories given a test database on a PostgreSQL run (dropped afterwards). */
const dbKeys: string[] = [];
const database = (dataDir: string) => {
  dbKeys.push(dataDir);
  return testDatabaseUrl(dataDir);
};
const envFor = async (home: string, dataDir: string) => {
  dbKeys.push(dataDir);
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'xdg'),
    ...(await databaseEnv(dataDir)),
  };
};

describe('one server per data directory (in process)', () => {
  it('refuses a second server on the same data directory until the first one closes', async () => {
    const dataDir = tempDir();
    const first = await startServer({ dataDir, port: 0, database: await database(dataDir) });
    try {
      const second = startServer({ dataDir, port: 0, database: await database(dataDir) });
      await expect(second).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(second).rejects.toThrow(`is already using the data directory ${dataDir}`);
      const health = await first.app.inject({ method: 'GET', url: '/services/health' });
      expect(health.statusCode).toBe(200);
    } finally {
      await first.close();
    }
    const again = await startServer({ dataDir, port: 0, database: await database(dataDir) });
    await again.close();
  });

  it('resolves a relative data directory to an absolute path once, at start', async () => {
    const dataDir = tempDir();
    const cwd = process.cwd();
    const rel = relative(cwd, dataDir);
    expect(rel.startsWith('/')).toBe(false);
    const server = await startServer({
      dataDir: rel,
      port: 0,
      writeStateFiles: true,
      database: await database(dataDir),
    });
    try {
      expect(server.dataDir).toBe(dataDir);
      const state = JSON.parse(readFileSync(dataFiles(dataDir).stateFile, 'utf8'));
      expect(state.dataDir).toBe(dataDir);
      expect(state.caFile).toBe(join(dataDir, 'tls', 'ca.pem'));
      expect(process.cwd()).toBe(cwd);
    } finally {
      await server.close();
    }
    expect(existsSync(dataFiles(dataDir).pidFile)).toBe(false);
  });
});

describe('one server per data directory (server start)', () => {
  it('a second `server start`, foreground or detached, refuses with a clear message and removes nothing', async () => {
    ensureBuilt();
    const home = tempDir();
    const dataDir = join(home, 'data');
    const env = await envFor(home, dataDir);
    const started = await runCli(['server', 'start', '--json', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
    expect(started.code, started.stderr).toBe(0);
    const pid: number = started.json().pid;
    cliPids.push(pid);
    // Started with the malloc setting of src/shared/server-process-env.ts (T4, issue 12).
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ.find((e) => e.startsWith('GLIBC_TUNABLES='))).toContain(SERVER_MALLOC_TUNABLE);
    const files = dataFiles(dataDir);
    const pidBefore = readFileSync(files.pidFile, 'utf8');
    const stateBefore = readFileSync(files.stateFile, 'utf8');

    const fg = await runCli(['server', 'start', '--foreground', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
    expect(fg.code).not.toBe(0);
    expect(fg.stderr).toContain(`another ebcli server (pid ${pid}) is already using the data directory ${dataDir}`);

    // Detached: a healthy server is reported as already running, not started twice.
    const bg = await runCli(['server', 'start', '--json', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
    expect(bg.code, bg.stderr).toBe(0);
    expect(bg.json()).toMatchObject({ started: false, pid });

    expect(readFileSync(files.pidFile, 'utf8')).toBe(pidBefore);
    expect(readFileSync(files.stateFile, 'utf8')).toBe(stateBefore);
    expect(processAlive(pid)).toBe(true);

    // A foreground server that holds the lock but is not (yet) healthy: detached start refuses too.
    process.kill(pid, 'SIGSTOP');
    try {
      const stalled = await runCli(['server', 'start', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
      expect(stalled.code).not.toBe(0);
      expect(stalled.stderr).toContain(`is already using the data directory ${dataDir}`);
      expect(readFileSync(files.pidFile, 'utf8')).toBe(pidBefore);
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    const stop = await runCli(['server', 'stop', '--json', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
    expect(stop.json()).toMatchObject({ stopped: true, pid });
    expect(processAlive(pid)).toBe(false);
    // The server removed its own pid file on the way out.
    expect(existsSync(files.pidFile)).toBe(false);
    expect(statSync(files.lockFile).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('a server killed with SIGKILL leaves no lock behind', async () => {
    const home = tempDir();
    const dataDir = join(home, 'data');
    const env = await envFor(home, dataDir);
    const started = await runCli(['server', 'start', '--json', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
    expect(started.code, started.stderr).toBe(0);
    const pid: number = started.json().pid;
    cliPids.push(pid);
    process.kill(pid, 'SIGKILL');
    while (processAlive(pid)) await new Promise((r) => setTimeout(r, 20));
    // Stale pid file: `server stop` does not signal whatever process now has that pid.
    expect((await runCli(['server', 'stop', '--json', '--data-dir', dataDir], { env })).json().stopped).toBe(false);
    const server = await startServer({ dataDir, port: 0, database: await database(dataDir) });
    await server.close();
  }, 120_000);
});
