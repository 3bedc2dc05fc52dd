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
 * `ebcli server start` runs the server from it.
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
