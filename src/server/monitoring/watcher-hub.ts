import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { EventBus } from '../events/log.js';
import type { Db } from '../store/db.js';
import { getInstance } from '../instances/store.js';
import { publicKeyOf } from '../../shared/monitoring/signing.js';
import type { CheckDoc } from '../../shared/monitoring/checks.js';
import type { MonitoringTunables } from './config.js';
import { ingestResult } from './ingest.js';
import type { ServerKey } from './server-key.js';
import type { WatchersTable } from './tables.js';
import { WatcherSession } from './watcher-session.js';
import type { Serving } from './watcher-store.js';

/** The pseudo-check a silent Watcher fails (one per machine; not in the checks repository). */
export const KEEPALIVE_CHECK = 'keepalive';

/** Connected Watchers, config pushes, and the keepalive monitor. */
export class WatcherHub {
  private readonly sessions = new Map<string, WatcherSession>();
  private readonly lost = new Set<string>();
  private lastServerSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    readonly db: Db,
    readonly bus: EventBus,
    readonly key: ServerKey,
    readonly tunables: MonitoringTunables,
    readonly log: FastifyBaseLogger,
  ) {}

  /** Server frames are numbered from the clock (µs), so they keep increasing across restarts. */
  nextServerSeq(_username: string): number {
    this.lastServerSeq = Math.max(this.lastServerSeq + 1, Date.now() * 1000);
    return this.lastServerSeq;
  }

  accept(socket: WebSocket, row: WatchersTable): void {
    this.sessions.get(row.username)?.close(4000, 'replaced by a newer connection');
    this.sessions.set(row.username, new WatcherSession(this, socket, row, publicKeyOf(row.public_key)));
  }

  detach(s: WatcherSession): void {
    if (this.sessions.get(s.row.username) === s) this.sessions.delete(s.row.username);
  }

  /** Re-sends the checks to every connected Watcher of the workspace (a check changed). */
  async refresh(workspace: string): Promise<void> {
    for (const s of this.sessions.values()) if (s.row.workspace === workspace) await s.sendConfig();
  }

  /** Asks the connected Watchers of these machines to run checks now; returns the machines asked. */
  runNow(machines: string[], checkIds: string[]): string[] {
    const asked: string[] = [];
    for (const s of this.sessions.values()) {
      if (!machines.includes(s.serving.machine) || s.closed) continue;
      s.requestRun(checkIds);
      asked.push(s.serving.machine);
    }
    return asked;
  }

  disconnect(username: string, reason: string): void {
    this.sessions.get(username)?.close(4001, reason);
  }

  private keepaliveCheck(row: WatchersTable): CheckDoc {
    return {
      id: KEEPALIVE_CHECK,
      uri: '',
      schema: '',
      name: KEEPALIVE_CHECK,
      owner: row.workspace,
      version: 1,
      interval: Math.max(1, Math.round(this.tunables.keepaliveMs / 1000)),
      builtin: { type: 'process' },
      created: row.created,
      updated: row.created,
    };
  }

  private async keepalive(row: WatchersTable, serving: Serving, status: 0 | 2, output: string): Promise<void> {
    const instance = serving.instanceId ? await getInstance(this.db, serving.instanceId) : undefined;
    if (!instance) return;
    await ingestResult(this.db, this.bus, {
      machine: serving.machine,
      instance,
      check: this.keepaliveCheck(row),
      exitCode: status,
      output,
      executed: Date.now(),
    });
  }

  /** A verified frame came from this Watcher: a lost one is back. */
  async seen(row: WatchersTable, serving: Serving): Promise<void> {
    if (!this.lost.delete(serving.machine)) return;
    await this.keepalive(row, serving, 0, `OK: Watcher ${row.username} is sending again`);
  }

  /**
   * Opens a CRITICAL keepalive alert for every Watcher silent past the timeout, on the machines
   * that should be up: a deploy's running machines, and registered hosts while a running deploy's
   * machine holds them (their Watchers enrolled under the host: watcher-store.ts servingOf).
   */
  async sweep(now = Date.now()): Promise<void> {
    const cutoff = now - this.tunables.keepaliveTimeoutMs;
    const silent = this.db
      .selectFrom('watchers')
      .selectAll('watchers')
      .where('watchers.revoked', '=', 0)
      .where('watchers.last_seen', 'is not', null)
      .where('watchers.last_seen', '<', cutoff);
    const own = await silent
      .innerJoin('machines', 'machines.name', 'watchers.machine')
      .where('machines.state', '=', 'running')
      .execute();
    const hosts = await silent
      .innerJoin('registered_machines', 'registered_machines.id', 'watchers.machine')
      .innerJoin('machines', 'machines.name', 'registered_machines.machine_name')
      .where('machines.state', '=', 'running')
      .select(['machines.name as held_machine', 'machines.instance_id as held_instance'])
      .execute();
    const lost = [
      ...own.map((row) => ({ row, serving: { machine: row.machine, instanceId: row.instance_id } })),
      ...hosts.map(({ held_machine, held_instance, ...row }) => ({
        row,
        serving: { machine: held_machine, instanceId: held_instance },
      })),
    ];
    for (const { row, serving } of lost) {
      if (this.lost.has(serving.machine)) continue;
      this.lost.add(serving.machine);
      const secs = Math.round((now - row.last_seen!) / 1000);
      await this.keepalive(row, serving, 2, `CRITICAL: no keepalive from Watcher ${row.username} for ${secs}s`);
    }
  }

  async start(): Promise<void> {
    const open = await this.db
      .selectFrom('check_states')
      .select('machine')
      .where('check_id', '=', KEEPALIVE_CHECK)
      .where('status', '!=', 0)
      .execute();
    for (const r of open) this.lost.add(r.machine);
    const every = Math.max(100, Math.min(1000, this.tunables.keepaliveTimeoutMs / 4));
    const tick = () => {
      this.timer = setTimeout(() => {
        this.sweeping = this.sweep()
          .catch((err) => this.log.error({ err }, 'keepalive sweep failed'))
          .finally(() => {
            this.sweeping = undefined;
            if (this.timer) tick();
          });
      }, every);
      this.timer.unref();
    };
    tick();
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
    for (const s of this.sessions.values()) s.close(1001, 'server shutting down');
  }
}
