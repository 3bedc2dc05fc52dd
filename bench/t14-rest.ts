// T14 (issue 12): REST throughput of the control plane against a bare fastify HTTPS server (same
// Node, same certificate) measured in the same run, each in a process of its own, loaded from this
// process by an undici load loop (CONNECTIONS connections, one request in flight on each).
// - `GET /services/instances` with 100 instances (token auth, workspace scope, the stored
//   documents) vs a bare route answering a JSON body of the same text: target ≥ 0.25.
// - `GET /services/profile` vs a bare route answering a body of the same size: target ≥ 0.5.
// The control plane runs the way `ebcli server start` runs it (the server bundle; npm run build).
// Rounds alternate bare and control plane so both see the same machine load; the figure is the
// median req/s over the rounds. Prints one JSON line.
// Usage: npm run build && npx tsx bench/t14-rest.ts [rounds] [seconds per round]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startServer } from '../src/server/start.js';
import { insertInstance } from '../src/server/instances/store.js';
import { dataFiles } from '../src/shared/paths.js';
import { benchInstanceDoc } from './lib/fixtures.js';
import { machineInfo, quantile, round } from './lib/ratio.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 3);
const CONNECTIONS = 10;
const ROWS = 100;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGETS = { instances: 0.25, profile: 0.5 };

const CONTROL_PLANE = `
const { loadServerBundle } = await import(${JSON.stringify(join(ROOT, 'dist/cli/server-bundle.js'))});
const bundle = loadServerBundle();
if (!bundle) throw new Error('dist/server-bundle/start.cjs is missing: npm run build');
const server = await bundle.startServer({ dataDir: process.env.DATA_DIR, port: 0 });
process.stdout.write(server.url + '\\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));`;

// The bodies the control plane answered, answered again by plain routes (fastify serialises the
// parsed value with JSON.stringify, as a route without a response schema does).
const BARE = `
const { readFileSync } = await import('node:fs');
const { default: Fastify } = await import(${JSON.stringify(join(ROOT, 'node_modules/fastify/fastify.js'))});
const bodies = JSON.parse(readFileSync(process.env.BODIES, 'utf8'));
const app = Fastify({ https: { key: readFileSync(process.env.KEY), cert: readFileSync(process.env.CERT), minVersion: 'TLSv1.2' } });
app.get('/bare/instances', async () => bodies.instances);
app.get('/bare/profile', async () => bodies.profile);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(url + '\\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));`;

async function spawnServer(code: string, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (c) => reject(new Error(`exited ${c} before listening`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
}

const agent = new Agent({ connections: CONNECTIONS, connect: { rejectUnauthorized: false } });

async function get(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const r = await request(url, { dispatcher: agent, headers });
  return { status: r.statusCode, text: await r.body.text() };
}

/** Requests per second over `seconds`, CONNECTIONS loops each with one request in flight. */
async function load(url: string, headers: Record<string, string>, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const r = await request(url, { dispatcher: agent, headers });
      await r.body.dump({ limit: Infinity });
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode}`);
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  return done / ((performance.now() - start) / 1000);
}

const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-t14-'));
const children: ChildProcess[] = [];
try {
  // The store, CA and certificates are made here, then the control plane runs in its own process.
  const seeded = await startServer({ dataDir, port: 0 });
  for (let i = 0; i < ROWS; i++) await insertInstance(seeded.db, benchInstanceDoc(i, 'admin'), null);
  await seeded.close();
  const files = dataFiles(dataDir);
  const auth = { 'elasticbox-token': readFileSync(files.adminToken, 'utf8').trim() };
  const cp = await spawnServer(CONTROL_PLANE, { DATA_DIR: dataDir });
  children.push(cp.child);
  const instances = await get(`${cp.url}/services/instances`, auth);
  const profile = await get(`${cp.url}/services/profile`, auth);
  if (instances.status !== 200 || (JSON.parse(instances.text) as unknown[]).length !== ROWS) {
    throw new Error(`GET /services/instances: ${instances.status} ${instances.text.slice(0, 200)}`);
  }
  if (profile.status !== 200) throw new Error(`GET /services/profile: ${profile.status} ${profile.text}`);
  const bodiesFile = join(dataDir, 'bare-bodies.json');
  writeFileSync(
    bodiesFile,
    JSON.stringify({ instances: JSON.parse(instances.text), profile: JSON.parse(profile.text) }),
  );
  const bare = await spawnServer(BARE, { KEY: files.serverKey, CERT: files.serverCert, BODIES: bodiesFile });
  children.push(bare.child);

  const paths = {
    instances: [`${cp.url}/services/instances`, `${bare.url}/bare/instances`],
    profile: [`${cp.url}/services/profile`, `${bare.url}/bare/profile`],
  } as const;
  const rates = {
    instances: { cp: [] as number[], bare: [] as number[] },
    profile: { cp: [] as number[], bare: [] as number[] },
  };
  // A short warm-up of each (JIT, first-use compilation of validators and serializers).
  for (const [target, base] of Object.values(paths)) {
    await load(base, {}, 0.5);
    await load(target, auth, 0.5);
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of ['instances', 'profile'] as const) {
      const [target, base] = paths[name];
      rates[name].bare.push(await load(base, {}, SECONDS));
      rates[name].cp.push(await load(target, auth, SECONDS));
    }
  }
  const figure = (name: keyof typeof rates) => {
    const value = quantile(rates[name].cp, 0.5);
    const baseline = quantile(rates[name].bare, 0.5);
    return {
      value: round(value),
      baseline: round(baseline),
      ratio: round(value / baseline),
      limit: TARGETS[name],
      pass: value / baseline >= TARGETS[name],
    };
  };
  const figures = { instances: figure('instances'), profile: figure('profile') };
  process.stdout.write(
    `${JSON.stringify({
      target: 'T14 REST req/s vs a bare fastify HTTPS route (same-size JSON)',
      unit: 'req/s',
      ...figures,
      pass: figures.instances.pass && figures.profile.pass,
      bytes: { instances: Buffer.byteLength(instances.text), profile: Buffer.byteLength(profile.text) },
      connections: CONNECTIONS,
      seconds: SECONDS,
      rounds: ROUNDS,
      machine: machineInfo(),
    })}\n`,
  );
} finally {
  for (const child of children) await stop(child);
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
}
