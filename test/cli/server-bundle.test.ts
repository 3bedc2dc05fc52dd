import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/cli/daemon.js';
import { ensureBuilt, ROOT, runCli, tempHome, type TempHome } from './helpers.js';

/**
 * The control plane starts from one bundle with its V8 code cache (scripts/bundle-server.js,
 * src/cli/server-bundle.ts; T15, issue 12) instead of its ~1,400 modules one by one. These tests
 * hold the built bundle to that: V8 accepts its cache under the server's flags, and
 * `ebcli server start` runs the server from it. The embedded (SQLite) server on every run, PostgreSQL
 * runs included: what is held to is the laptop's start path (pg not even loaded).
 */
const BUNDLE = join(ROOT, 'dist', 'server-bundle', 'start.cjs');

describe('server bundle', () => {
  let home: TempHome;
  let probeDir: string;

  beforeAll(() => {
    ensureBuilt();
    home = tempHome();
    probeDir = mkdtempSync(join(tmpdir(), 'ebcli-probe-'));
  });
  afterAll(() => {
    home?.cleanup();
    rmSync(probeDir, { recursive: true, force: true });
  });

  it('loads from its V8 code cache in a process with the flags a server runs with', async () => {
    const loader = join(ROOT, 'dist', 'cli', 'bundle-loader.cjs');
    const script = `
      const { loadBundle } = require(${JSON.stringify(loader)});
      const b = loadBundle(${JSON.stringify(BUNDLE)});
      process.stdout.write(JSON.stringify({ cached: b.cached, exports: Object.keys(b.exports).sort() }));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], (err, stdout, stderr) =>
        err ? reject(new Error(stderr)) : resolve(stdout),
      ),
    );
    const r = JSON.parse(out) as { cached: boolean; exports: string[] };
    expect(r.cached).toBe(true);
    expect(r.exports).toEqual(expect.arrayContaining(['startServer', 'waitForShutdownSignal']));
  });

  it('starts an embedded (SQLite) server that has its certificates without loading pg or the x509 issuer', async () => {
    const dataDir = join(home.home, 'lazy');
    const script = `
      const { startServer } = await import(${JSON.stringify(join(ROOT, 'dist', 'server', 'start.js'))});
      await (await startServer({ dataDir: ${JSON.stringify(dataDir)}, port: 0 })).close();
      const { createRequire } = await import('node:module');
      const files = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify(files.filter((f) => /node_modules[\\\\/](pg|@peculiar|fastify)[\\\\/]/.test(f))));`;
    const loadedBy = () =>
      new Promise<string[]>((resolve, reject) =>
        execFile(process.execPath, ['--input-type=module', '-e', script], (err, stdout, stderr) =>
          err ? reject(new Error(stderr)) : resolve(JSON.parse(stdout) as string[]),
        ),
      );
    const first = await loadedBy(); // makes the CA and the server certificate
    expect(first.some((f) => f.includes('@peculiar'))).toBe(true);
    const again = await loadedBy();
    expect(again.some((f) => /node_modules[\\/]fastify[\\/]/.test(f))).toBe(true);
    expect(again.filter((f) => /node_modules[\\/](pg|@peculiar)[\\/]/.test(f))).toEqual([]);
  }, 60_000);

  it('is what `server start --foreground` runs, and the server it starts answers health', async () => {
    const report = join(probeDir, 'loaded.json');
    const probe = join(probeDir, 'probe.cjs');
    writeFileSync(
      probe,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));`,
    );
    const dataDir = join(home.home, 'fg');
    let healthy: Promise<boolean> | undefined;
    const r = await runCli(['server', 'start', '--foreground', '--port', '0', '--data-dir', dataDir], {
      env: { ...home.env, NODE_OPTIONS: `--require ${probe}` },
      timeoutMs: 60_000,
      onSpawn: (child) => {
        child.stdout?.on('data', (d: Buffer) => {
          const m = /Control plane listening at (\S+)/.exec(String(d));
          if (m && !healthy) {
            healthy = checkHealth({ url: m[1]!, caFile: join(dataDir, 'tls', 'ca.pem') });
            void healthy.finally(() => child.kill('SIGTERM'));
          }
        });
      },
    });
    expect(r.stdout, r.stderr).toContain('Received SIGTERM, shutting down');
    expect(await healthy).toBe(true);
    const loaded = JSON.parse(readFileSync(report, 'utf8')) as string[];
    expect(loaded).toContain(BUNDLE);
    // fastify is CommonJS: run from its own files, it would be in require's cache.
    expect(loaded.filter((f) => f.includes(`${join('node_modules', 'fastify')}`))).toEqual([]);
  }, 60_000);
});
