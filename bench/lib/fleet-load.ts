/**
 * quality.md L2 (`fleet-heartbeat-load`) for the Watcher channel: N simulated Watchers
 * (simulated-watchers.ts, all in this process) against ONE real control plane run as a process
 * of its own (test/e2e/server-process.ts), so its memory can be read from /proc.
 *
 * 1. Start the server; seed N instances with one running machine each (machine tokens, as a
 *    provider leaves them) straight into its store; create one check for them (interval 10 s).
 * 2. Enroll N Watchers (real enrollment: key pair, token → username/password); read the server's
 *    RSS; connect all N; run the steady state; read its RSS again: growth / N = memory per
 *    connection (it includes everything the server kept from the run, so it overstates).
 * 3. Positive control: kill one Watcher without a word; its CRITICAL keepalive alert must open.
 *    Every other keepalive alert of the run is a false one.
 * 4. Drain (every emitted result acknowledged), then NL-6 per Watcher from the store:
 *    emitted == accepted + dropped + rejected, and emitted == what the simulator emitted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startChildServer, type ChildServer } from '../../test/e2e/remote-server.js';
import type { Db } from '../../src/server/store/db.js';
import { dropTestDatabase, openServerStore } from '../../test/helpers/store.js';
import { insertInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import { upsertMachine } from '../../src/server/workflows/store/machines.js';
import { KEEPALIVE_CHECK } from '../../src/server/monitoring/watcher-hub.js';
import { newInstanceId } from '../../src/shared/ids.js';
import { dataFiles } from '../../src/shared/paths.js';
import { timestamp } from '../../src/shared/time.js';
import { quantile, round } from './ratio.js';
import { WatcherFleet, type FleetMachine } from './simulated-watchers.js';
import { bareTlsWebsocketKiB } from './tls-websocket-baseline.js';

export interface FleetLoadOptions {
  watchers: number;
  /** How long the whole fleet runs connected before the control Watcher is killed. */
  steadyMs: number;
  /** The server's keepalive interval and timeout (EBCLI_WATCHER_KEEPALIVE[_TIMEOUT]). */
  keepaliveMs: number;
  keepaliveTimeoutMs: number;
  /** Seconds between results of each Watcher (the check's interval). */
  intervalS: number;
  progress?: (msg: string) => void;
  /** Also measure a bare TLS websocket server (tls-websocket-baseline.ts; up to 500 clients). */
  baseline?: boolean;
}

export interface FleetLoadReport {
  watchers: number;
  connected: number;
  enrollMs: number;
  connectMs: number;
  steadyMs: number;
  results: { emitted: number; acked: number };
  lagMs: { p50: number; p99: number; max: number };
  /**
   * Server memory (after a full GC each time) idle before any Watcher connected, with half of them
   * connected for one interval, and with all of them at the end of the steady state.
   * `perConnection`: growth from idle to all connected, per Watcher (it counts everything the run
   * left in the server too); `perConnectionAdded`: growth from half to all, per Watcher added.
   */
  serverKiB: {
    rss: { beforeConnect: number; halfConnected: number; connected: number };
    perConnection: { rss: number; heapUsed: number; external: number };
    perConnectionAdded: { rss: number; heapUsed: number; external: number };
  };
  /** The same measure for a bare Node TLS websocket server: the floor under `serverKiB`. */
  bareTlsWebsocketKiB?: { rss: number; heapUsed: number };
  serverCpuPercent: number;
  falseKeepaliveAlerts: string[];
  controlAlertOpened: boolean;
  unexpectedCloses: number;
  refusedServerFrames: number;
  drained: boolean;
  ledger: { watchers: number; balanced: number; unbalanced: string[] };
}

export interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/**
 * The server's memory in KiB after a full garbage collection: SIGUSR2 has server-process.ts collect
 * and write process.memoryUsage() to <dataDir>/memory.json.
 */
export async function serverMemory(pid: number, dataDir: string): Promise<Memory> {
  const file = join(dataDir, 'memory.json');
  const asked = Date.now();
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 300; i++) {
    await sleep(50);
    let m: Memory & { at: number };
    try {
      m = JSON.parse(readFileSync(file, 'utf8')) as Memory & { at: number };
    } catch {
      continue;
    }
    if (m.at >= asked)
      return {
        rss: m.rss / 1024,
        heapUsed: m.heapUsed / 1024,
        heapTotal: m.heapTotal / 1024,
        external: m.external / 1024,
      };
  }
  throw new Error('the server did not report its memory');
}

const perWatcher = (a: Memory, b: Memory, n: number) => ({
  rss: round((b.rss - a.rss) / n),
  heapUsed: round((b.heapUsed - a.heapUsed) / n),
  external: round((b.external - a.external) / n),
});

/** CPU time (user + system) of a process, in clock ticks (100/s on Linux). */
export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * N instances, each with one running machine and its machine token, in the server's store; under
 * `providerId`, else admin's first provider (the local one).
 */
export async function seedFleetMachines(db: Db, n: number, tag: string, providerId?: string): Promise<FleetMachine[]> {
  const provider = providerId
    ? { id: providerId }
    : await db.selectFrom('providers').select('id').where('owner', '=', 'admin').executeTakeFirstOrThrow();
  const machines: FleetMachine[] = [];
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) {
      const now = timestamp();
      const id = newInstanceId();
      const doc: InstanceDoc = {
        id,
        uri: `/services/instances/${id}`,
        schema: 'http://elasticbox.net/schemas/instance',
        name: `fleet-${i}`,
        owner: 'admin',
        box: 'fleet-box',
        state: 'done',
        operation: { event: 'deploy', workspace: 'admin', created: now },
        tags: [tag],
        service: { type: 'Linux Compute', id: `eb-fleet${i}`, machines: [] },
        created: now,
        updated: now,
      };
      await insertInstance(trx, doc, provider.id);
      const machine = `fleet-${i}-${randomBytes(3).toString('hex')}`;
      const token = `machine-token-${randomBytes(16).toString('hex')}`;
      await upsertMachine(trx, {
        name: machine,
        instanceId: id,
        workspace: 'admin',
        serviceId: `eb-fleet${i}`,
        providerId: provider.id,
        token,
        address: { public: '127.0.0.1', private: '127.0.0.1' },
      });
      machines.push({ machine, token });
    }
    // Machines that should be up: the keepalive monitor watches only running machines.
    await trx
      .updateTable('machines')
      .set({ state: 'running' })
      .where(
        'name',
        'in',
        machines.map((m) => m.machine),
      )
      .execute();
  });
  return machines;
}

export async function runFleetLoad(opts: FleetLoadOptions): Promise<FleetLoadReport> {
  const say = opts.progress ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-fleet-'));
  let server: ChildServer | undefined;
  let fleet: WatcherFleet | undefined;
  let db: Db | undefined;
  try {
    server = await startChildServer(dataDir, 0, {
      ...process.env,
      EBCLI_WATCHER_KEEPALIVE: `${opts.keepaliveMs}ms`,
      EBCLI_WATCHER_KEEPALIVE_TIMEOUT: `${opts.keepaliveTimeoutMs}ms`,
    });
    const pid = server.process.pid!;
    // The floor, measured first (the server idle), with the server's own certificate.
    const bare = opts.baseline
      ? await bareTlsWebsocketKiB(join(dataDir, 'tls'), Math.min(opts.watchers, 500))
      : undefined;
    // The server's store: its SQLite file, or on a PostgreSQL test run the database the server
    // process was given for this data directory (test/e2e/server-process.ts).
    db = await openServerStore(dataDir);
    const tag = 'l2-fleet';
    const machines = await seedFleetMachines(db, opts.watchers, tag);
    const check = await server.call('POST', '/services/msa/checks', {
      body: { name: 'l2-synthetic', command: 'echo OK', interval: opts.intervalS, target: { tags: [tag] } },
    });
    if (check.status !== 201) throw new Error(`check refused: ${check.status} ${check.text}`);
    say(`seeded ${machines.length} machines`);

    fleet = new WatcherFleet({ url: server.url, ca: readFileSync(dataFiles(dataDir).caCert, 'utf8') });
    let t0 = performance.now();
    await fleet.enroll(machines);
    const enrollMs = performance.now() - t0;
    say(`enrolled in ${Math.round(enrollMs)} ms`);
    await sleep(1000);
    const beforeConnect = await serverMemory(pid, dataDir);

    // Half the fleet first, through one full interval (every one of them has sent results and
    // the server's heap has grown to its working size under load), then the other half: the
    // RSS growth between the two, per connection added, is what a connection costs.
    t0 = performance.now();
    const half = Math.floor(fleet.watchers.length / 2);
    await fleet.connect(fleet.watchers.slice(0, half));
    await sleep(opts.intervalS * 1000);
    const halfConnected = await serverMemory(pid, dataDir);
    const t1 = performance.now();
    await fleet.connect(fleet.watchers.slice(half));
    const connectMs = performance.now() - t1 + (t1 - t0 - opts.intervalS * 1000);
    say(`connected in ${Math.round(connectMs)} ms`);
    // Processing lag is judged in the steady state, not while handshakes queue up.
    fleet.lagsMs.length = 0;
    const cpu0 = cpuTicks(pid);
    const s0 = performance.now();
    await sleep(opts.steadyMs);
    const steadyMs = performance.now() - s0;
    const serverCpuPercent = ((cpuTicks(pid) - cpu0) / 100 / (steadyMs / 1000)) * 100;
    const lags = [...fleet.lagsMs];
    const connected = await serverMemory(pid, dataDir);
    say(`steady state over: ${lags.length} results acknowledged`);

    // Positive control: a killed Watcher opens its keepalive alert.
    const control = fleet.watchers[0]!;
    control.kill();
    const keepaliveAlerts = () =>
      db!.selectFrom('alerts').select(['machine']).where('check_id', '=', KEEPALIVE_CHECK).execute();
    const end = Date.now() + opts.keepaliveTimeoutMs + 20_000;
    let controlAlertOpened = false;
    while (!controlAlertOpened && Date.now() < end) {
      await sleep(250);
      controlAlertOpened = (await keepaliveAlerts()).some((a) => a.machine === control.machine);
    }
    const falseKeepaliveAlerts = (await keepaliveAlerts()).map((a) => a.machine).filter((m) => m !== control.machine);

    const drained = await fleet.drain();
    const others = fleet.watchers.slice(1);
    const rows = await db
      .selectFrom('watchers')
      .select(['machine', 'emitted', 'accepted', 'dropped', 'rejected'])
      .where('revoked', '=', 0)
      .execute();
    const byMachine = new Map(rows.map((r) => [r.machine, r]));
    const unbalanced: string[] = [];
    for (const w of others) {
      const r = byMachine.get(w.machine);
      if (!r || r.emitted !== w.emitted || r.emitted !== r.accepted + r.dropped + r.rejected) {
        unbalanced.push(`${w.machine}: simulated ${w.emitted}, server ${JSON.stringify(r)}`);
      }
    }
    return {
      watchers: opts.watchers,
      connected: fleet.watchers.length,
      enrollMs: Math.round(enrollMs),
      connectMs: Math.round(connectMs),
      steadyMs: Math.round(steadyMs),
      results: { emitted: fleet.sum((w) => w.emitted), acked: fleet.sum((w) => w.acked) },
      lagMs: {
        p50: round(quantile(lags, 0.5)),
        p99: round(quantile(lags, 0.99)),
        max: round(Math.max(...lags)),
      },
      serverKiB: {
        rss: {
          beforeConnect: round(beforeConnect.rss),
          halfConnected: round(halfConnected.rss),
          connected: round(connected.rss),
        },
        perConnection: perWatcher(beforeConnect, connected, fleet.watchers.length),
        perConnectionAdded: perWatcher(halfConnected, connected, fleet.watchers.length - half),
      },
      ...(bare ? { bareTlsWebsocketKiB: bare } : {}),
      serverCpuPercent: round(serverCpuPercent),
      falseKeepaliveAlerts,
      controlAlertOpened,
      unexpectedCloses: others.reduce((n, w) => n + w.unexpectedCloses.length, 0),
      refusedServerFrames: fleet.sum((w) => w.refusedFrames),
      drained,
      ledger: {
        watchers: others.length,
        balanced: others.length - unbalanced.length,
        unbalanced: unbalanced.slice(0, 5),
      },
    };
  } finally {
    await fleet?.close();
    await db?.destroy();
    await server?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestDatabase(dataDir);
  }
}
