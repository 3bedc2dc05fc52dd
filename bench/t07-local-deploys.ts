// T07 (issue 12): N trivial deploys (default 200) on the local provider of the embedded default,
// all requested at once over REST; time from the first request until every instance is `done`
// (every durable step, a real machine sandbox, a real script `true`). Then what each extra local
// machine costs: the RSS of the host agent with N machines minus with 1, over N − 1 (and,
// reported apart, the proportional set size of each machine's keeper processes). Then the N
// terminates, timed the same way. Same-run baselines: the RSS of an idle bare Node process (what
// one agent process per machine cost at the very least) and N bare `spawn('sh', ['-c', 'true'])`
// at the same concurrency. Targets: ≥ 20 deploys/s; ≤ 5 MB per extra machine. Prints one JSON line.
// Usage: npm run build && npx tsx bench/t07-local-deploys.ts [N]
// (the server runs in this process: `node --cpu-prof --import tsx bench/t07-local-deploys.ts`
// profiles it; the host agent is another process, started by the server.)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../src/server/start.js';
import { dataFiles } from '../src/shared/paths.js';
import { machineInfo, round } from './lib/ratio.js';

const N = Number(process.argv[2] ?? 200);
const LIMITS = { deploysPerSec: 20, mbPerMachine: 5 };
const DEPLOY_SCHEMA = 'http://elasticbox.net/schemas/deploy-instance-request';

const statusKiB = (pid: number, field: string): number =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const pssKiB = (pid: number): number => {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};
const parentOf = (pid: number): number =>
  Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** RSS of an idle bare Node process: the least one agent process per machine cost. */
async function bareNodeKiB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6); process.stdout.write("up\\n")'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((r) => child.stdout.once('data', r));
  await sleep(500);
  const kib = statusKiB(child.pid!, 'VmRSS');
  child.kill('SIGKILL');
  return kib;
}

/** `n` bare `sh -c true` spawns, `concurrency` at a time, per second. */
async function bareSpawnRate(n: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await new Promise((r) => spawn('sh', ['-c', 'true'], { stdio: 'ignore' }).once('exit', r));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return n / ((performance.now() - started) / 1000);
}

const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-t07-'));
const server = await startServer({ dataDir, port: 0 });
const token = readFileSync(dataFiles(dataDir).adminToken, 'utf8').trim();
const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, type?: string) => {
  const r = await server.app.inject({
    method,
    url,
    headers: { 'elasticbox-token': token, ...(type ? { 'content-type': type } : {}) },
    payload: payload as string,
  });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.body ? JSON.parse(r.body) : undefined;
};

/** Polls the instance list until `ids` are all in `state` (and not processing). */
async function allSettled(ids: Set<string>, done: (doc: any) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await api('GET', '/services/instances')) as any[];
    const ready = list.filter((d) => ids.has(d.id) && done(d)).length;
    if (ready === ids.size) return;
    const failed = list.find((d) => ids.has(d.id) && d.state === 'unavailable');
    if (failed) throw new Error(`instance ${failed.id} failed: ${JSON.stringify(failed.operation)}`);
    if (Date.now() > deadline) throw new Error(`only ${ready} of ${ids.size} settled`);
    await sleep(100);
  }
}

const deployOne = async (box: string, i: number) =>
  (await api('POST', '/services/instances', {
    schema: DEPLOY_SCHEMA,
    name: `t07-${i}`,
    box: { id: box },
    automatic_updates: 'off',
  })) as { id: string };

const hostAgentPid = () => Number(readFileSync(join(dataDir, 'host-agent', 'host-agent.pid'), 'utf8').trim());

try {
  const blob = await api('POST', '/services/blobs/upload/install', '#!/bin/sh\ntrue\n', 'text/x-shellscript');
  const box = await api('POST', '/services/boxes', {
    schema: 'http://elasticbox.net/schemas/boxes/script',
    name: 'T07',
    requirements: ['linux'],
    variables: [],
    events: { install: { url: blob.url, destination_path: 'scripts', content_type: 'text/x-shellscript' } },
  });

  // One machine first (starts the host agent; not timed): the RSS with one machine.
  const first = await deployOne(box.id, 0);
  await allSettled(new Set([first.id]), (d) => d.state === 'done', 60_000);
  await sleep(1000);
  const host = hostAgentPid();
  const rssOne = statusKiB(host, 'VmRSS');

  const started = performance.now();
  const ids = new Set<string>();
  await Promise.all(Array.from({ length: N }, async (_, i) => ids.add((await deployOne(box.id, i + 1)).id)));
  await allSettled(ids, (d) => d.state === 'done', 600_000);
  const deploySeconds = (performance.now() - started) / 1000;
  await sleep(2000);
  const rssAll = statusKiB(host, 'VmRSS');
  const machinesDir = dataFiles(dataDir).machines;
  let keeperPss = 0;
  let machines = 0;
  for (const name of readdirSync(machinesDir)) {
    try {
      const keeper = Number(readFileSync(join(machinesDir, name, 'agent.pid'), 'utf8').trim());
      keeperPss += pssKiB(keeper) + pssKiB(parentOf(keeper));
      machines++;
    } catch {
      // no machine there
    }
  }
  if (hostAgentPid() !== host) throw new Error('the host agent was restarted during the run');

  const all = new Set([...ids, first.id]);
  const termStarted = performance.now();
  await Promise.all([...all].map((id) => api('DELETE', `/services/instances/${id}`)));
  const gone = async () => {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const list = (await api('GET', '/services/instances')) as any[];
      if (!list.some((d) => all.has(d.id) && (d.state === 'processing' || d.operation?.event !== 'terminate_service')))
        return;
      if (Date.now() > deadline) throw new Error('terminates did not end');
      await sleep(100);
    }
  };
  await gone();
  const terminateSeconds = (performance.now() - termStarted) / 1000;

  const bareKiB = Math.min(await bareNodeKiB(), await bareNodeKiB(), await bareNodeKiB());
  const spawnPerSec = await bareSpawnRate(N, 20);
  const deploysPerSec = N / deploySeconds;
  // N machines beside the first one.
  const mbPerMachine = (rssAll - rssOne) / 1024 / N;
  process.stdout.write(
    `${JSON.stringify({
      target: 't07-local-deploys',
      value: round(deploysPerSec),
      unit: 'deploys/s',
      mbPerMachine: round(mbPerMachine),
      keeperPssMbPerMachine: round(keeperPss / 1024 / Math.max(1, machines)),
      hostAgentRssMb: { oneMachine: round(rssOne / 1024), all: round(rssAll / 1024), machines },
      deploySeconds: round(deploySeconds),
      terminatesPerSec: round(all.size / terminateSeconds),
      baseline: { bareNodeRssMb: round(bareKiB / 1024), bareSpawnPerSec: round(spawnPerSec) },
      ratio: { mbPerMachineVsBareNode: round(mbPerMachine / (bareKiB / 1024)) },
      limit: LIMITS,
      pass: deploysPerSec >= LIMITS.deploysPerSec && mbPerMachine <= LIMITS.mbPerMachine,
      n: N,
      measuredAt: new Date().toISOString(),
      machine: machineInfo(),
    })}\n`,
  );
} finally {
  await server.close();
  try {
    process.kill(-hostAgentPid(), 'SIGTERM');
    await sleep(1000);
    process.kill(-hostAgentPid(), 'SIGKILL');
  } catch {
    // gone
  }
  rmSync(dataDir, { recursive: true, force: true });
}
