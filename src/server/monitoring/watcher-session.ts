import type { WebSocket } from 'ws';
import type { KeyObject } from 'node:crypto';
import { appendEvents } from '../events/log.js';
import { getInstance } from '../instances/store.js';
import { seal, SequenceGuard, verifySignature, type Envelope, type Refusal } from '../../shared/monitoring/signing.js';
import {
  checkHello,
  checkRefused,
  checkResults,
  parseEnvelope,
  type ConfigPayload,
} from '../../shared/monitoring/watcher-protocol.js';
import { checksForInstance, checkTargets } from './checks-store.js';
import { ingestResult } from './ingest.js';
import type { WatchersTable } from './tables.js';
import { servingOf, type Serving } from './watcher-store.js';
import { REGISTERED_MACHINE_ID } from '../machines/registered-store.js';
import type { FastifyBaseLogger } from 'fastify';
import type { EventBus } from '../events/log.js';
import type { Db } from '../store/db.js';
import type { MonitoringTunables } from './config.js';
import type { ServerKey } from './server-key.js';

/** What a session needs of the hub that owns it (watcher-hub.ts), without importing it (no cycle). */
export interface WatcherSessionHost {
  readonly db: Db;
  readonly bus: EventBus;
  readonly key: ServerKey;
  readonly tunables: MonitoringTunables;
  readonly log: FastifyBaseLogger;
  nextServerSeq(username: string): number;
  detach(session: WatcherSession): void;
  seen(row: WatchersTable, serving: Serving): Promise<void>;
}

/** Close code for a refused frame (policy violation). */
const POLICY = 1008;

/** One connected Watcher: verifies each frame (signature, machine, order, time), then acts on it. */
export class WatcherSession {
  private readonly guard: SequenceGuard;
  private helloDone = false;
  private lastResult: number;
  private queue: Promise<void> = Promise.resolve();
  closed = false;
  /** The machine and instance its results are for (watcher-store.ts servingOf). */
  serving: Serving;

  constructor(
    private readonly hub: WatcherSessionHost,
    private readonly socket: WebSocket,
    readonly row: WatchersTable,
    private readonly publicKey: KeyObject,
  ) {
    this.guard = new SequenceGuard(row.last_seq, hub.tunables.watcherToleranceMs);
    this.lastResult = row.last_result;
    this.serving = { machine: row.machine, instanceId: row.instance_id };
    socket.on('message', (data) => {
      // Frames are handled one at a time, in arrival order.
      this.queue = this.queue
        .then(() => this.onFrame(String(data)))
        .catch((err) => hub.log.error({ err }, 'watcher frame failed'));
    });
    socket.on('close', () => {
      this.closed = true;
      hub.detach(this);
    });
  }

  private async onFrame(text: string): Promise<void> {
    if (this.closed) return;
    const e = parseEnvelope(text);
    if (!e) return this.refuse('invalid', undefined);
    if (!e.sig) return this.refuse('unsigned', e);
    if (e.machine !== this.row.machine) return this.refuse('impersonation', e);
    if (!verifySignature(this.publicKey, e)) return this.refuse('bad-signature', e);
    const order = this.guard.check(e);
    if (order) return this.refuse(order, e);
    if (!this.helloDone && e.type !== 'hello') return this.refuse('invalid', e);
    let payload: unknown;
    try {
      payload = JSON.parse(e.payload);
    } catch {
      return this.refuse('invalid', e);
    }
    this.guard.accept(e);
    const db = this.hub.db;
    await db
      .updateTable('watchers')
      .set({ last_seq: e.seq, last_seen: Date.now() })
      .where('username', '=', this.row.username)
      .execute();
    // Whom it reports for is looked up at hello, before a lost Watcher counts as back for it.
    if (e.type === 'hello' && !(await this.follow())) return;
    await this.hub.seen(this.row, this.serving);
    switch (e.type) {
      case 'hello':
        if (!checkHello.Check(payload)) return this.refuse('invalid', e);
        this.helloDone = true;
        await this.ledger(payload.ledger, 0, 0);
        return this.sendConfig();
      case 'results':
        if (!checkResults.Check(payload)) return this.refuse('invalid', e);
        return this.results(e, payload);
      case 'keepalive':
        return this.followHost();
      case 'refused':
        if (!checkRefused.Check(payload)) return this.refuse('invalid', e);
        return this.audit(payload.reason as Refusal, payload.what, 'watcher');
      default:
        return this.refuse('invalid', e);
    }
  }

  /**
   * Looks up whom the Watcher reports for (watcher-store.ts servingOf); false, and the socket
   * closed, when its registered host was removed.
   */
  private async follow(): Promise<boolean> {
    const now = await servingOf(this.hub.db, this.row);
    if (!now) {
      this.close(4001, 'machine removed');
      return false;
    }
    this.serving = now;
    return true;
  }

  /**
   * A registered machine's Watcher serves whichever deploy holds the host: when that changes (a
   * deploy took it or freed it), it gets the checks of its new instance. Looked at on keepalives.
   */
  private async followHost(): Promise<void> {
    if (!REGISTERED_MACHINE_ID.test(this.row.machine)) return;
    const before = this.serving;
    if (!(await this.follow())) return;
    if (before.machine !== this.serving.machine || before.instanceId !== this.serving.instanceId) {
      await this.sendConfig();
    }
  }

  private async results(
    e: Envelope,
    payload: {
      results: import('../../shared/monitoring/watcher-protocol.js').WatcherResult[];
      ledger: { emitted: number; dropped: number };
    },
  ) {
    const db = this.hub.db;
    const instance = this.serving.instanceId ? await getInstance(db, this.serving.instanceId) : undefined;
    let accepted = 0;
    let rejected = 0;
    for (const r of payload.results) {
      // Sent again after its ack was lost: stored already, counted already.
      if (r.n <= this.lastResult) continue;
      this.lastResult = r.n;
      const check = instance ? (await checksForInstance(db, instance)).find((c) => c.id === r.check) : undefined;
      if (!instance || !check || !checkTargets(check, instance)) {
        rejected++;
        continue;
      }
      await ingestResult(db, this.hub.bus, {
        machine: this.serving.machine,
        instance,
        check,
        exitCode: r.status,
        output: r.output,
        executed: r.executed,
        ...(check.output_metric_format ? {} : { metrics: r.metrics }),
      });
      accepted++;
    }
    await this.ledger(payload.ledger, accepted, rejected);
    this.send('ack', { seq: e.seq });
  }

  private async ledger(l: { emitted: number; dropped: number }, accepted: number, rejected: number) {
    await this.hub.db
      .updateTable('watchers')
      .set((eb) => ({
        emitted: l.emitted,
        dropped: l.dropped,
        accepted: eb('accepted', '+', accepted),
        last_result: this.lastResult,
        rejected: eb('rejected', '+', rejected),
      }))
      .where('username', '=', this.row.username)
      .execute();
  }

  /** Sends the machine's current checks (signed, with the next server seq). */
  async sendConfig(): Promise<void> {
    const db = this.hub.db;
    const instance = this.serving.instanceId ? await getInstance(db, this.serving.instanceId) : undefined;
    const checks = instance ? await checksForInstance(db, instance) : [];
    const config: ConfigPayload = {
      keepaliveMs: this.hub.tunables.keepaliveMs,
      checks: checks.map((c) => ({
        id: c.id,
        name: c.name,
        version: c.version,
        ...(c.command ? { command: c.command } : {}),
        ...(c.builtin ? { builtin: c.builtin } : {}),
        interval: c.interval,
        timeout: c.timeout ?? 30,
        ...(c.thresholds ? { thresholds: c.thresholds } : {}),
        ...(c.output_metric_format ? { output_metric_format: c.output_metric_format } : {}),
      })),
    };
    this.send('config', config);
  }

  /** A signed request to run these checks now (`ebcli checks run`). */
  requestRun(checkIds: string[]): void {
    this.send('run', { checks: checkIds });
  }

  private send(type: string, payload: unknown): void {
    if (this.closed) return;
    const seq = this.hub.nextServerSeq(this.row.username);
    const e = seal(this.hub.key.privateKey, {
      type,
      machine: this.row.machine,
      seq,
      sentAt: Date.now(),
      payload: JSON.stringify(payload),
    });
    this.socket.send(JSON.stringify(e));
  }

  private async refuse(reason: Refusal, e: Envelope | undefined): Promise<void> {
    this.closed = true;
    await this.audit(reason, e?.type ?? 'frame', 'server');
    this.socket.close(POLICY, `refused: ${reason}`);
  }

  private async audit(reason: Refusal, what: string, by: 'server' | 'watcher'): Promise<void> {
    this.hub.log.warn(
      { watcher: this.row.username, machine: this.row.machine, reason, what, by },
      'watcher frame refused',
    );
    await this.hub.db.transaction().execute(async (trx) => {
      await appendEvents(trx, [
        {
          workspace: this.row.workspace,
          type: 'watcher.refused',
          instanceId: this.row.instance_id,
          data: { machine: this.row.machine, watcher: this.row.username, reason, type: what, by },
        },
      ]);
    });
    this.hub.bus.committed(this.row.workspace);
  }

  close(code: number, reason: string): void {
    this.closed = true;
    this.socket.close(code, reason);
  }
}
