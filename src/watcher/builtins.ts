import { setTimeout as sleep } from 'node:timers/promises';
import { readdir, readFile, statfs } from 'node:fs/promises';
import { connect } from 'node:net';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { MetricPoint } from '../shared/monitoring/metrics-parse.js';
import type { WatcherCheck } from '../shared/monitoring/watcher-protocol.js';

export interface BuiltinOutcome {
  status: number;
  output: string;
  metrics: MetricPoint[];
}

type Params = Record<string, string | number>;

/** OK / WARNING / CRITICAL by thresholds on a value where higher is worse. */
function grade(value: number, t: WatcherCheck['thresholds']): number {
  if (t?.critical !== undefined && value >= t.critical) return 2;
  if (t?.warning !== undefined && value >= t.warning) return 1;
  return 0;
}

const LABEL = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
const round = (x: number) => Math.round(x * 100) / 100;

function cpuTimes() {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

async function cpu(t: WatcherCheck['thresholds']): Promise<BuiltinOutcome> {
  const a = cpuTimes();
  await sleep(200);
  const b = cpuTimes();
  const used = b.total === a.total ? 0 : round(100 * (1 - (b.idle - a.idle) / (b.total - a.total)));
  const s = grade(used, t);
  return { status: s, output: `CPU ${LABEL[s]}: ${used}% used`, metrics: [{ name: 'cpu.used', value: used }] };
}

function memory(t: WatcherCheck['thresholds']): BuiltinOutcome {
  const used = round(100 * (1 - freemem() / totalmem()));
  const s = grade(used, t);
  return {
    status: s,
    output: `MEMORY ${LABEL[s]}: ${used}% used`,
    metrics: [
      { name: 'memory.used_percent', value: used },
      { name: 'memory.free_bytes', value: freemem() },
    ],
  };
}

async function disk(p: Params, t: WatcherCheck['thresholds']): Promise<BuiltinOutcome> {
  const mount = String(p.mount ?? '/');
  const st = await statfs(mount);
  const used = round(100 * (1 - st.bavail / st.blocks));
  const s = grade(used, t);
  return {
    status: s,
    output: `DISK ${LABEL[s]}: ${mount} ${used}% used`,
    metrics: [{ name: `disk.${mount}.used_percent`, value: used }],
  };
}

function load(t: WatcherCheck['thresholds']): BuiltinOutcome {
  const [l1, l5, l15] = loadavg() as [number, number, number];
  const s = grade(l1, t);
  return {
    status: s,
    output: `LOAD ${LABEL[s]}: ${round(l1)} ${round(l5)} ${round(l15)}`,
    metrics: [
      { name: 'load.1', value: l1 },
      { name: 'load.5', value: l5 },
      { name: 'load.15', value: l15 },
    ],
  };
}

/** Processes whose command name (`/proc/<pid>/comm`) equals `name`. */
async function processCount(name: string): Promise<number> {
  let n = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) n++;
  }
  return n;
}

async function process_(p: Params): Promise<BuiltinOutcome> {
  const name = String(p.name ?? '');
  if (!name) return { status: 3, output: 'PROCESS UNKNOWN: no name parameter', metrics: [] };
  const n = await processCount(name);
  return {
    status: n > 0 ? 0 : 2,
    output: `PROCESS ${n > 0 ? 'OK' : 'CRITICAL'}: ${n} ${name} running`,
    metrics: [{ name: `process.${name}.count`, value: n }],
  };
}

function tcp(p: Params, timeoutMs: number): Promise<BuiltinOutcome> {
  const host = String(p.host ?? '127.0.0.1');
  const port = Number(p.port);
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: timeoutMs });
    const done = (o: BuiltinOutcome) => {
      sock.destroy();
      resolve(o);
    };
    sock.on('connect', () =>
      done({
        status: 0,
        output: `TCP OK: ${host}:${port} open`,
        metrics: [{ name: `tcp.${port}.connect_ms`, value: Date.now() - started }],
      }),
    );
    sock.on('timeout', () => done({ status: 2, output: `TCP CRITICAL: ${host}:${port} timed out`, metrics: [] }));
    sock.on('error', (err) => done({ status: 2, output: `TCP CRITICAL: ${host}:${port} ${err.message}`, metrics: [] }));
  });
}

async function http(p: Params, timeoutMs: number): Promise<BuiltinOutcome> {
  const url = String(p.url ?? '');
  const expect = Number(p.status ?? 200);
  const started = Date.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.body?.cancel();
    const ok = res.status === expect;
    return {
      status: ok ? 0 : 2,
      output: `HTTP ${ok ? 'OK' : 'CRITICAL'}: ${url} answered ${res.status}${ok ? '' : ` (expected ${expect})`}`,
      metrics: [{ name: 'http.response_ms', value: Date.now() - started }],
    };
  } catch (err) {
    return { status: 2, output: `HTTP CRITICAL: ${url} ${(err as Error).message}`, metrics: [] };
  }
}

/** Runs a built-in check (no script): cpu, memory, disk, load, process, tcp, http. */
export async function runBuiltin(check: WatcherCheck): Promise<BuiltinOutcome> {
  const p = check.builtin?.params ?? {};
  const timeoutMs = check.timeout * 1000;
  switch (check.builtin?.type) {
    case 'cpu':
      return cpu(check.thresholds);
    case 'memory':
      return memory(check.thresholds);
    case 'disk':
      return disk(p, check.thresholds);
    case 'load':
      return load(check.thresholds);
    case 'process':
      return process_(p);
    case 'tcp':
      return tcp(p, timeoutMs);
    case 'http':
      return http(p, timeoutMs);
    default:
      return { status: 3, output: `UNKNOWN: no built-in check ${String(check.builtin?.type)}`, metrics: [] };
  }
}
