// T05 (issue 11): the installed agent's footprint. Its start-up CPU time (from spawn until the
// control plane sees it online) and its idle RSS (2 s after that), against a bare Node wss client
// (the `ws` package, the same CA, connecting to a bare wss server on the same certificate) measured
// in the same run, interleaved. The agent is the one-file program registered hosts run
// (dist/agent-bundle/ebcli-agent.mjs), alone in a folder, already enrolled (its credential on file,
// as at every restart after the first). Targets: CPU ≤ 2×, RSS ≤ 1.2× the bare client.
// CPU and RSS are read from /proc (Linux). Prints one JSON line.
// Usage: npm run build && npx tsx bench/t05-agent-footprint.ts [runs]
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { startServer } from '../src/server/start.js';
import { dataFiles } from '../src/shared/paths.js';
import { machineInfo, quantile, round } from './lib/ratio.js';

const RUNS = Number(process.argv[2] ?? 7);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AGENT = join(ROOT, 'dist/agent-bundle/ebcli-agent.mjs');
const IDLE_MS = 2000;
const LIMITS = { cpu: 2, rss: 1.2 };
const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

/** User + system CPU time of a process so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(line[1]);
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

interface Footprint {
  cpuMs: number;
  rssKiB: number;
}

/** Spawns, waits for `connected`, reads the CPU spent so far, idles, reads RSS, stops. */
async function measure(
  start: () => ChildProcess,
  connected: (child: ChildProcess) => Promise<void>,
): Promise<Footprint> {
  const child = start();
  try {
    await connected(child);
    const cpu = cpuMs(child.pid!);
    await sleep(IDLE_MS);
    return { cpuMs: cpu, rssKiB: rssKiB(child.pid!) };
  } finally {
    await stop(child);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-t05-'));
const agentDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-t05-agent-'));
const server = await startServer({ dataDir, port: 0 });
const files = dataFiles(dataDir);
const caPem = readFileSync(files.caCert, 'utf8');
const token = readFileSync(files.adminToken, 'utf8').trim();
// Both sides get the same environment (NODE_EXTRA_CA_CERTS, if set, weighs on both starts).
const childEnv = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS };
const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
  const r = await server.app.inject({ method, url, headers: { 'elasticbox-token': token }, payload });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return JSON.parse(r.body);
};

// The bare baseline: a wss server on the control plane's own certificate, and a client that opens
// one connection with the same CA and keeps it open.
const bareHttps = createServer({
  key: readFileSync(files.serverKey),
  cert: readFileSync(files.serverCert),
  minVersion: 'TLSv1.2',
});
const wss = new WebSocketServer({ server: bareHttps });
wss.on('connection', (socket) => socket.on('message', () => undefined));
await new Promise<void>((r) => bareHttps.listen(0, '127.0.0.1', r));
const barePort = (bareHttps.address() as { port: number }).port;
const BARE_CLIENT = `
const WebSocket = require(${JSON.stringify(join(ROOT, 'node_modules/ws'))});
const ws = new WebSocket('wss://localhost:${barePort}/', { ca: require('node:fs').readFileSync(process.env.CA_FILE) });
ws.on('open', () => process.stdout.write('open\\n'));
ws.on('error', (e) => { console.error(e.message); process.exit(1); });`;
writeFileSync(join(agentDir, 'ca.pem'), caPem);
const bare = () =>
  spawn(process.execPath, ['-e', BARE_CLIENT], {
    env: { ...childEnv, CA_FILE: join(agentDir, 'ca.pem') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
const bareOpen = (child: ChildProcess) =>
  new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => (d.toString().includes('open') ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`bare client exited ${code}`)));
  });

// The agent, enrolled once (its credential stays in its folder for the measured restarts).
copyFileSync(AGENT, join(agentDir, 'ebcli-agent.mjs'));
const enrollment = await api('POST', '/services/machines/enrollments', { claims: ['linux', 'bench'] });
writeFileSync(join(agentDir, 'enrollment'), `${enrollment.token}\n`, { mode: 0o600 });
writeFileSync(join(agentDir, 'agent.conf'), JSON.stringify({ url: server.url, ca_file: 'ca.pem' }), { mode: 0o600 });
const agent = () =>
  spawn(process.execPath, [join(agentDir, 'ebcli-agent.mjs'), '--config', join(agentDir, 'agent.conf')], {
    cwd: agentDir,
    env: { ...childEnv, HOME: agentDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
const machineState = async () => {
  const list = (await api('GET', '/services/machines')) as { id: string; state: string; claims: string[] }[];
  return list.find((m) => m.claims.includes('bench'));
};
const online = async () => {
  await until(async () => ((await machineState())?.state === 'online' ? true : undefined), 'the agent online');
};
const offline = async () => {
  await until(async () => ((await machineState())?.state !== 'online' ? true : undefined), 'the agent offline');
};

try {
  // First start: enrollment (not measured).
  const first = agent();
  await online();
  await stop(first);
  await offline();

  const base: Footprint[] = [];
  const target: Footprint[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const b = await measure(bare, bareOpen);
    const a = await measure(agent, () => online());
    await offline();
    if (i === 0) continue; // warm-up round (page cache)
    base.push(b);
    target.push(a);
  }
  const med = (xs: Footprint[], k: keyof Footprint) =>
    quantile(
      xs.map((x) => x[k]),
      0.5,
    );
  const cpu = { agent: med(target, 'cpuMs'), bare: med(base, 'cpuMs') };
  const rss = { agent: med(target, 'rssKiB'), bare: med(base, 'rssKiB') };
  const cpuRatio = cpu.agent / cpu.bare;
  const rssRatio = rss.agent / rss.bare;
  process.stdout.write(
    `${JSON.stringify({
      target: 'T05 agent start-up CPU and idle RSS vs a bare Node wss client',
      cpu_ms: round(cpu.agent),
      cpu_baseline_ms: round(cpu.bare),
      cpu_ratio: round(cpuRatio),
      cpu_limit: LIMITS.cpu,
      rss_kib: rss.agent,
      rss_baseline_kib: rss.bare,
      rss_ratio: round(rssRatio),
      rss_limit: LIMITS.rss,
      pass: cpuRatio <= LIMITS.cpu && rssRatio <= LIMITS.rss,
      n: target.length,
      machine: machineInfo(),
    })}\n`,
  );
} finally {
  wss.close();
  bareHttps.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(agentDir, { recursive: true, force: true });
}
