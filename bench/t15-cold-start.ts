// T15 (issue 12): server cold start, from spawning the process until `/services/health` answers,
// against a bare fastify HTTPS server (same Node, same certificate, one health route) measured in
// the same run, interleaved. The control plane starts the way `ebcli server start` runs it, on a
// data directory it has seen before (CA and certificates exist; migrations have run): every
// command that finds the embedded server stopped pays this. Target: ≤ 3×. Prints one JSON line.
// Usage: npm run build && npx tsx bench/t15-cold-start.ts [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataFiles } from '../src/shared/paths.js';
import { startServer } from '../src/server/start.js';
import { interleave, ratioLine } from './lib/ratio.js';

const RUNS = Number(process.argv[2] ?? 10);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIMIT = 3;

// As `ebcli server start --foreground` loads it (src/commands/server/start.ts): the server bundle
// with its code cache (scripts/bundle-server.js).
const CONTROL_PLANE = `
const { loadServerBundle } = await import(${JSON.stringify(join(ROOT, 'dist/cli/server-bundle.js'))});
const bundle = loadServerBundle();
if (!bundle) throw new Error('dist/server-bundle/start.cjs is missing: npm run build');
const { startServer } = bundle;
const server = await startServer({ dataDir: process.env.DATA_DIR, port: 0 });
process.stdout.write(server.url + '\\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));`;

const BARE = `
const { readFileSync } = await import('node:fs');
const { default: Fastify } = await import(${JSON.stringify(join(ROOT, 'node_modules/fastify/fastify.js'))});
const app = Fastify({ https: { key: readFileSync(process.env.KEY), cert: readFileSync(process.env.CERT), minVersion: 'TLSv1.2' } });
app.get('/services/health', async () => ({ status: 'ok' }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(url + '\\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));`;

/** GET /services/health until it answers 200 (the CA is not checked: both sides use the same one). */
function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/services/health`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Milliseconds from spawn to the first 200 from /services/health; the process is then stopped. */
async function coldStart(code: string, env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (c) => reject(new Error(`exited ${c} before listening`)));
  });
  while (!(await healthy(url))) await new Promise((r) => setTimeout(r, 2));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-t15-'));
try {
  // One start makes the CA, the certificates and the schema: later starts find them, as a stopped
  // embedded server's next start does.
  await (await startServer({ dataDir, port: 0 })).close();
  const files = dataFiles(dataDir);
  const samples = await interleave(
    RUNS,
    1,
    () => coldStart(BARE, { KEY: files.serverKey, CERT: files.serverCert }),
    () => coldStart(CONTROL_PLANE, { DATA_DIR: dataDir }),
  );
  process.stdout.write(ratioLine('T15 server cold start until health answers', LIMIT, samples));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
