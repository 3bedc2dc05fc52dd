/**
 * T8 (quality.md B2, issue 12): 1,000 trivial deploys on 1,000 simulated agents against ONE control
 * plane process with its embedded SQLite store. Prints ONE JSON line.
 *
 * - The server runs as a process of its own (test/e2e/server-process.ts), so its CPU time is read
 *   from /proc; the agents (bench/lib/simulated-agents.ts: real enrollment, TLS, protocol, acks)
 *   live in this process. Deploys go through the Existing Machines provider: each takes a free
 *   registered machine, whose agent reconnects bound to the deploy (as a real installed agent does).
 * - A deploy = REST `POST /services/instances`, provision, agent wait, 4 lifecycle events
 *   (pre_install, install, configure, start: output line + result each), bindings, done: every
 *   durable step of the real workflow engine. Completion is read from the event tail
 *   (`instance.state` → `done`), time-to-done per instance from the request's start.
 * - Phases of 100, 800 and 100 deploys: server CPU per deploy of the first 100 (an empty store) and
 *   of the last 100 (900 instances already there) shows whether the cost is flat.
 * - Baseline, same run: raw better-sqlite3 event insert + state upsert transactions per second
 *   (bench/lib/raw-sqlite.ts), before and after. Gate: deploys/s ≥ raw tx/s ÷ 500 (ratio ≥ 1).
 * - Fails (pass: false) on any duplicate execution, any deploy not done, any unacknowledged result.
 *
 *   node --import tsx bench/t08-deploys.ts
 *   T08_DEPLOYS=1000  T08_CONCURRENCY=32 (requests in flight)  T08_CPU_PROF=<dir> (profile the server:
 *   --cpu-prof --cpu-prof-interval 50; summarise with bench/cpu-profile-summary.ts)
 *   T08_RECONNECT_MS (the agents' first reconnect backoff window; default the real agent's 1 s). The
 *   server takes its tunables from the environment (e.g. EBCLI_WORKFLOW_CONCURRENCY, default 64).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { startChildServer } from '../test/e2e/remote-server.js';
import { dataFiles } from '../src/shared/paths.js';
import { TAIL_PATH } from '../src/shared/protocol.js';
import { machineInfo, quantile, round } from './lib/ratio.js';
import { rawEventStateTxPerSecond } from './lib/raw-sqlite.js';
import { AgentFleet, enrollmentTokens, pool, type Call } from './lib/simulated-agents.js';

const DEPLOYS = Number(process.env.T08_DEPLOYS ?? 1000);
const CONCURRENCY = Number(process.env.T08_CONCURRENCY ?? 32);
const PROFILE_DIR = process.env.T08_CPU_PROF;
const SCHEMAS = 'http://elasticbox.net/schemas/';
const LIMIT_SECONDS = 20;
const RAW_DIVISOR = 500;

/** CPU time (user + system) of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const dir = mkdtempSync(join(tmpdir(), 'ebcli-t08-'));
const dataDir = join(dir, 'server');
const rawBefore = rawEventStateTxPerSecond(dir);
const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-interval=50'] : [];
const server = await startChildServer(dataDir, 0, process.env, profile);
const pid = server.process.pid!;
const ca = readFileSync(dataFiles(dataDir).caCert, 'utf8');
const token = readFileSync(dataFiles(dataDir).adminToken, 'utf8').trim();
const RECONNECT_MS = process.env.T08_RECONNECT_MS ? Number(process.env.T08_RECONNECT_MS) : undefined;
// Its own REST client: connections kept for the whole run, and a connect timeout that survives a
// busy machine (undici's default of 10 s failed a run at load 20).
const rest = new Agent({ connect: { ca, timeout: 60_000 }, connections: CONCURRENCY, headersTimeout: 120_000 });
const call: Call = async (method, path, opts = {}) => {
  const res = await request(`${server.url}${path}`, {
    method: method as 'GET',
    headers: { 'elasticbox-token': token, 'content-type': 'application/json' },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    dispatcher: rest,
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text && JSON.parse(text), text };
};
const fleet = new AgentFleet({ url: server.url, ca, reconnectBaseMs: RECONNECT_MS });

try {
  const must = async (method: string, path: string, body: unknown, status: number) => {
    const res = await call(method, path, { body });
    if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const provider = await must(
    'POST',
    '/services/providers',
    { schema: `${SCHEMAS}existing/provider`, type: 'Existing Machines', name: 'simulated' },
    202,
  );
  const policy = await must(
    'POST',
    '/services/boxes',
    {
      schema: `${SCHEMAS}boxes/policy`,
      name: 'Simulated hosts',
      provider_id: provider.id,
      claims: ['sim'],
      profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
    },
    200,
  );
  const events: Record<string, { url: string; destination_path: string; content_type: string }> = {};
  for (const event of ['pre_install', 'install', 'configure', 'start']) {
    const up = await server.call('POST', `/services/blobs/upload/${event}`, {
      raw: 'true\n',
      headers: { 'content-type': 'text/x-shellscript' },
    });
    events[event] = { url: up.body.url, destination_path: 'scripts', content_type: 'text/x-shellscript' };
  }
  const box = await must(
    'POST',
    '/services/boxes',
    { schema: `${SCHEMAS}boxes/script`, name: 'trivial', requirements: ['linux'], variables: [], events },
    200,
  );

  await fleet.enroll(await enrollmentTokens(call, DEPLOYS, { claims: ['sim'] }));
  await fleet.connect();

  // Completion from the event tail: instance.state events of the admin workspace.
  const doneAt = new Map<string, number>();
  const failed = new Set<string>();
  const tail = new WebSocket(`${server.url.replace(/^http/, 'ws')}${TAIL_PATH}?workspace=admin&type=instance.state`, {
    ca,
    headers: { 'elasticbox-token': token },
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    tail.once('error', reject);
    tail.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; events?: { data: { id: string; state: string } }[] };
      if (msg.type === 'welcome') resolve();
      for (const e of msg.events ?? []) {
        if (e.data.state === 'done') doneAt.set(e.data.id, performance.now());
        else if (e.data.state === 'unavailable') failed.add(e.data.id);
      }
    });
  });

  const startedAt = new Map<string, number>();
  let next = 0;
  const selfCpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const phase = async (n: number) => {
    const names = Array.from({ length: n }, () => `t08-${next++}`);
    const ids: string[] = [];
    const cpu0 = cpuMs(pid);
    const self0 = selfCpuMs();
    const t0 = performance.now();
    await pool(names, CONCURRENCY, async (name) => {
      const at = performance.now();
      const res = await call('POST', '/services/instances', {
        body: {
          schema: `${SCHEMAS}deploy-instance-request`,
          name,
          box: { id: box.id },
          automatic_updates: 'off',
          policy_box: { id: policy.id },
        },
      });
      if (res.status !== 202) throw new Error(`deploy ${name}: ${res.status} ${res.text}`);
      startedAt.set(res.body.id as string, at);
      ids.push(res.body.id as string);
    });
    const deadline = Date.now() + 300_000;
    while (ids.some((id) => !doneAt.has(id) && !failed.has(id))) {
      if (Date.now() > deadline) throw new Error('deploys did not finish within 300 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      seconds: (performance.now() - t0) / 1000,
      cpuMsPerDeploy: (cpuMs(pid) - cpu0) / n,
      agentsCpuMsPerDeploy: (selfCpuMs() - self0) / n,
    };
  };

  const first = Math.min(100, DEPLOYS);
  const last = DEPLOYS >= 200 ? 100 : 0;
  const p1 = await phase(first);
  const middle = DEPLOYS - first - last;
  const p2 = middle > 0 ? await phase(middle) : { seconds: 0, cpuMsPerDeploy: 0, agentsCpuMsPerDeploy: 0 };
  const p3 = last ? await phase(last) : p1;
  const seconds = p1.seconds + p2.seconds + (last ? p3.seconds : 0);
  tail.terminate();

  const deadline = Date.now() + 10_000;
  while (fleet.unacknowledged() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const counters = fleet.counters();
  const rawAfter = rawEventStateTxPerSecond(dir);
  const raw = (rawBefore + rawAfter) / 2;
  const rate = DEPLOYS / seconds;
  const ratio = rate / (raw / RAW_DIVISOR);
  const latencies = [...doneAt].map(([id, at]) => at - (startedAt.get(id) ?? at));
  const clean =
    failed.size === 0 &&
    doneAt.size >= DEPLOYS &&
    counters.duplicates === 0 &&
    counters.results === 4 * DEPLOYS &&
    fleet.unacknowledged() === 0 &&
    counters.invalidFrames === 0;
  process.stdout.write(
    `${JSON.stringify({
      target: 'T08 trivial deploys on simulated agents, one server process (SQLite)',
      value: round(seconds),
      unit: 's',
      deploysPerSecond: round(rate),
      baseline: { rawTxPerSecond: Math.round(raw), divisor: RAW_DIVISOR },
      ratio: round(ratio),
      limit: { seconds: LIMIT_SECONDS, ratio: 1 },
      pass: clean && seconds <= LIMIT_SECONDS && ratio >= 1,
      serverCpuMsPerDeploy: {
        first100: round(p1.cpuMsPerDeploy),
        last100: round(p3.cpuMsPerDeploy),
        middle: round(p2.cpuMsPerDeploy),
      },
      /** CPU of this process (agents, REST client, tail) per deploy, over the whole run. */
      benchCpuMsPerDeploy: round(
        (p1.agentsCpuMsPerDeploy * first +
          p2.agentsCpuMsPerDeploy * middle +
          (last ? p3.agentsCpuMsPerDeploy * last : 0)) /
          DEPLOYS,
      ),
      phasesSeconds: [round(p1.seconds), round(p2.seconds), round(p3.seconds)],
      timeToDoneMs: { p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)) },
      n: DEPLOYS,
      failed: failed.size,
      agents: counters,
      machine: machineInfo(),
    })}\n`,
  );
} finally {
  await fleet.stop();
  await rest.close();
  await server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
