/**
 * T4 (quality.md B2): the control plane's memory per idle agent connection, against a bare TLS
 * websocket server holding the same number of clients, measured in the same run.
 *
 * 1. Start one real control plane, as it ships, as a process of its own (shipped-server.mjs) and, while
 *    it is idle, measure the bare server (tls-websocket-baseline.ts) with N clients and the
 *    control plane's own certificate.
 * 2. Seed N instances with one running machine each and its machine token (as a provider leaves
 *    them), under an Existing Machines provider (remote hosts); read the server's memory after a full GC; connect N idle simulated agents
 *    (simulated-agents.ts: real protocol, TLS websocket with the machine credential, hello,
 *    heartbeats, ping/pong); wait until the store shows all N connected; read the memory again.
 *    Growth / N = KiB per connection.
 * 3. Leave the fleet idle for a while (heartbeats flowing), read the server's CPU share and its
 *    memory again.
 * Each memory reading also says where the RSS lies (malloc-heap.ts), for both servers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildServer, type ChildServer } from '../../test/e2e/remote-server.js';
import { openSqliteStore, type Db } from '../../src/server/store/db.js';
import { dataFiles } from '../../src/shared/paths.js';
import { EXISTING_MACHINES_TYPE } from '../../src/server/providers/provider-types.js';
import { insertProvider } from '../../src/server/providers/store.js';
import { schemaUrl } from '../../src/server/store/docs.js';
import { newUuid } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';
import { cpuTicks, seedFleetMachines, serverMemory, type Memory } from './fleet-load.js';
import { AgentFleet } from './simulated-agents.js';
import { round } from './ratio.js';
import { startShippedServer, type ShippedServer } from './shipped-server-process.js';
import { bareTlsWebsocketKiB, perConnection, type BareUsage } from './tls-websocket-baseline.js';
import { memoryMap, type MemoryMap } from './malloc-heap.js';

export interface IdleMemoryOptions {
  agents: number;
  /** How long the connected fleet idles before the CPU share is read (memory is read before). */
  idleMs: number;
  /** The agents' heartbeat interval (default the protocol's P). */
  heartbeatMs?: number;
  /** Also measure the bare TLS websocket server (default true). */
  baseline?: boolean;
  /**
   * Run the server from its sources (test/e2e/server-process.ts under tsx: stack traces and heap
   * snapshots name source files) instead of as it ships (shipped-server.mjs, the default). The
   * TypeScript loader adds some 80 MiB to the idle server, not to the per-connection figure.
   */
  sources?: boolean;
  /** Options for the shipped server's node (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Extra environment for the server process (e.g. EBCLI_PING_INTERVAL_MS). */
  env?: NodeJS.ProcessEnv;
  /** Called with the server's pid before any agent connects and once all are (profiling hooks). */
  onIdle?: (pid: number) => Promise<void>;
  onConnected?: (pid: number) => Promise<void>;
  progress?: (msg: string) => void;
}

export interface IdleMemoryReport {
  agents: number;
  connected: number;
  connectMs: number;
  /** Server memory in MiB after a full GC: before any agent connected, and with all connected. */
  serverMiB: { rssIdle: number; rss: number; heapUsed: number; external: number };
  /** Growth from idle to all connected, per connection, in KiB. */
  perConnectionKiB: { rss: number; heapUsed: number; heapTotal: number; external: number; map: MemoryMap };
  /** The bare server's, measured the same way (`map`: where its RSS grew, malloc-heap.ts). */
  bareKiB?: BareUsage;
  /** Growth per connection read again at the end of the idle period (heartbeats flowing). */
  afterIdleKiB: { rss: number; heapTotal: number; map: MemoryMap };
  idleCpuPercent: number;
  heartbeats: number;
  unexpectedCloses: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (kib: number) => round(kib / 1024);

/** Machines the store shows connected (the seeded ones are the only machines). */
async function connectedCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('machines')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('connected', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function runIdleAgentMemory(opts: IdleMemoryOptions): Promise<IdleMemoryReport> {
  const say = opts.progress ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-t04-'));
  let server: ShippedServer | ChildServer | undefined;
  let fleet: AgentFleet | undefined;
  let db: Db | undefined;
  try {
    const env = { ...process.env, ...opts.env };
    server = opts.sources
      ? await startChildServer(dataDir, 0, env)
      : await startShippedServer(dataDir, env, opts.nodeArgs);
    const pid = server.process.pid!;
    const bare =
      opts.baseline !== false
        ? await bareTlsWebsocketKiB(join(dataDir, 'tls'), opts.agents, 600, opts.idleMs)
        : undefined;
    if (bare) say(`bare TLS websocket server: ${bare.rss} KiB per connection`);
    db = await openSqliteStore(dataFiles(dataDir).database);
    // Remote hosts, as 10,000 agents would be (not machines of this host's local provider).
    const provider = newUuid();
    await insertProvider(db, {
      id: provider,
      uri: `/services/providers/${provider}`,
      schema: schemaUrl('existing/provider'),
      type: EXISTING_MACHINES_TYPE,
      name: 't04-remote-hosts',
      owner: 'admin',
      state: 'ready',
      created: timestamp(),
      updated: timestamp(),
    });
    const machines = await seedFleetMachines(db, opts.agents, 't04', provider);
    say(`seeded ${machines.length} machines`);
    await sleep(1000);
    const idle = await serverMemory(pid, dataDir);
    const idleMap = memoryMap(pid);
    await opts.onIdle?.(pid);

    fleet = new AgentFleet({
      url: server.url,
      ca: readFileSync(dataFiles(dataDir).caCert, 'utf8'),
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
    });
    const t0 = performance.now();
    fleet.add(machines);
    await fleet.connect();
    // Positive signal: every hello has been handled (the store marks the machine connected).
    let connected = 0;
    for (let i = 0; i < 1200 && connected < opts.agents; i++) {
      connected = await connectedCount(db);
      if (connected < opts.agents) await sleep(250);
    }
    const connectMs = performance.now() - t0;
    say(`${connected} connected in ${Math.round(connectMs)} ms`);
    await sleep(2000);
    const all: Memory = await serverMemory(pid, dataDir);
    const allMap = memoryMap(pid);
    await opts.onConnected?.(pid);

    const cpu0 = cpuTicks(pid);
    const s0 = performance.now();
    await sleep(opts.idleMs);
    const idleCpuPercent = ((cpuTicks(pid) - cpu0) / 100 / ((performance.now() - s0) / 1000)) * 100;
    const later: Memory = await serverMemory(pid, dataDir);
    const laterMap = memoryMap(pid);
    return {
      agents: opts.agents,
      connected,
      connectMs: Math.round(connectMs),
      serverMiB: {
        rssIdle: mib(idle.rss),
        rss: mib(all.rss),
        heapUsed: mib(all.heapUsed),
        external: mib(all.external),
      },
      perConnectionKiB: {
        rss: round((all.rss - idle.rss) / opts.agents),
        heapUsed: round((all.heapUsed - idle.heapUsed) / opts.agents),
        heapTotal: round((all.heapTotal - idle.heapTotal) / opts.agents),
        external: round((all.external - idle.external) / opts.agents),
        map: perConnection(idleMap, allMap, opts.agents),
      },
      afterIdleKiB: {
        rss: round((later.rss - idle.rss) / opts.agents),
        heapTotal: round((later.heapTotal - idle.heapTotal) / opts.agents),
        map: perConnection(idleMap, laterMap, opts.agents),
      },
      ...(bare ? { bareKiB: bare } : {}),
      idleCpuPercent: round(idleCpuPercent),
      heartbeats: fleet.counters().heartbeats,
      unexpectedCloses: fleet.counters().drops + fleet.counters().refusedUpgrades,
    };
  } finally {
    await fleet?.stop();
    await db?.destroy();
    await server?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}
