/**
 * T4 (quality.md B2): N idle, authenticated agent connections (wss, real protocol, heartbeats) on
 * ONE control plane process. Prints ONE JSON line: the server's RSS with all N connected, its KiB
 * per connection, a bare TLS websocket server's KiB per connection with the same N clients
 * measured in the same run, and their ratio. Targets: RSS ≤ 512 MiB at 10,000 agents and
 * ≤ 1.2× the bare server per connection (issue 12; bench/lib/idle-agent-memory.ts says how).
 *
 *   ulimit -n 32768   # each agent is one socket in this process and one in the server
 *   node --import tsx bench/t04-idle-agents.ts [N]     (default 10000; or T04_AGENTS=2000)
 *   The server runs as it ships: `npm run build` first (dist/server-bundle/start.cjs), in the environment
 *   `ebcli server start` gives it (src/shared/server-process-env.ts: glibc's mmap threshold); T04_SOURCES=1 runs
 *   it from src/ under tsx instead (for profiling; the loader adds ~80 MiB to the idle server).
 *   T04_HEARTBEAT=20s: the agents' heartbeat interval (default the protocol's P, as real agents).
 *   T04_IDLE=30s: how long the connected fleet idles for the CPU figure; T04_BASELINE=0 skips the
 *   bare server; T04_HEAPSNAPSHOT=<dir> writes heap snapshots of the server before the agents
 *   connect and with all of them connected into <dir> (their paths go to stderr); T04_CPU_PROF=<dir>
 *   writes the shipped server's CPU profile there when it exits.
 *   `map` (both servers): where the RSS per connection lies, from /proc/<pid>/smaps: `heap` glibc's
 *   brk heap, `anon` other anonymous memory (the V8 heap, mmapped malloc chunks); `afterIdleKiB`:
 *   the control plane's figures read again at the end of the idle period, and `bareKiB.afterIdle` the
 *   bare server's after its clients idled as long (`ratioAfterIdle`; `ratio` and `pass` stay on
 *   the readings taken as soon as all are connected).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDurationMs } from '../src/server/events/config.js';
import { runIdleAgentMemory } from './lib/idle-agent-memory.js';
import { machineInfo, round } from './lib/ratio.js';

const agents = Number(process.argv[2] ?? process.env.T04_AGENTS ?? 10_000);
const idleMs = process.env.T04_IDLE ? (parseDurationMs(process.env.T04_IDLE) ?? 30_000) : 30_000;
const RSS_LIMIT_MIB = 512;
const RATIO_LIMIT = 1.2;

const openFiles = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
// The bench holds N client sockets and the server (its child) N more, plus the bare server's N.
if (Number.isFinite(openFiles) && openFiles < agents + 1024) {
  process.stderr.write(
    `t04: the open-files limit (ulimit -n = ${openFiles}) is too low for ${agents} agents: ` +
      `run \`ulimit -n ${Math.max(32768, agents * 2)}\` first (as root: raise the hard limit too)\n`,
  );
  process.exit(2);
}

/** Has the server write a heap snapshot (Heap.*.heapsnapshot) into `dir` and waits for it. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR1');
  let size = -1;
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const made = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!made) continue;
    const now = statSync(join(dir, made)).size;
    if (now > 0 && now === size) return void process.stderr.write(`t04: heap snapshot ${join(dir, made)}\n`);
    size = now;
  }
}

const snapshotDir = process.env.T04_HEAPSNAPSHOT ? resolve(process.env.T04_HEAPSNAPSHOT) : undefined;
const report = await runIdleAgentMemory({
  agents,
  idleMs,
  baseline: process.env.T04_BASELINE !== '0',
  sources: process.env.T04_SOURCES === '1',
  ...(process.env.T04_HEARTBEAT ? { heartbeatMs: parseDurationMs(process.env.T04_HEARTBEAT) } : {}),
  ...(process.env.T04_CPU_PROF
    ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.T04_CPU_PROF)}`] }
    : {}),
  ...(snapshotDir
    ? {
        env: {
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR1 --diagnostic-dir=${snapshotDir}`,
        },
      }
    : {}),
  ...(snapshotDir
    ? { onIdle: (pid) => heapSnapshot(pid, snapshotDir), onConnected: (pid) => heapSnapshot(pid, snapshotDir) }
    : {}),
  progress: (msg) => process.stderr.write(`t04: ${msg}\n`),
});

const { agents: _n, connected: _c, ...detail } = report;
const ratio = report.bareKiB ? round(report.perConnectionKiB.rss / report.bareKiB.rss) : undefined;
// Both servers read again after their clients idled for T04_IDLE (quality.md's method: RSS over
// the minutes after all connect): the V8 heap each grew while connecting has shrunk back by then.
const ratioAfterIdle = report.bareKiB?.afterIdle
  ? round(report.afterIdleKiB.rss / report.bareKiB.afterIdle.rss)
  : undefined;
const pass =
  report.connected === agents &&
  report.unexpectedCloses === 0 &&
  report.serverMiB.rss <= RSS_LIMIT_MIB &&
  ratio !== undefined &&
  ratio <= RATIO_LIMIT;
process.stdout.write(
  `${JSON.stringify({
    target: 'T4',
    agents,
    connected: report.connected,
    serverRssMiB: report.serverMiB.rss,
    kibPerConnection: report.perConnectionKiB.rss,
    bareKibPerConnection: report.bareKiB?.rss,
    ratio,
    ratioAfterIdle,
    limits: { rssMiB: RSS_LIMIT_MIB, ratio: RATIO_LIMIT },
    pass,
    ...detail,
    machine: machineInfo(),
  })}\n`,
);
