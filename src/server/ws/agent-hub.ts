import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { failpoint } from '../failpoints.js';
import { appendEvents, type EventBus } from '../events/log.js';
import type { Db } from '../store/db.js';
import type { AgentChannel, AgentControl, AgentSessionView } from '../workflows/env.js';
import { markConnected, markDisconnected, recordPings, type Machine } from '../workflows/store/machines.js';
import { markRegisteredSeen, markRegisteredSeenMany } from '../machines/registered-store.js';
import {
  CloseCode,
  type ExecuteMessage,
  type ExecutionRecord,
  type RejectedMessage,
  type ResultMessage,
  type ServerMessage,
} from '../../shared/protocol.js';
import {
  checkOwnExecutions,
  ownExecution,
  redactorFor,
  resultOf,
  storeExecutionResult,
  storeRecords,
} from './agent-records.js';
import { AgentSession, type SessionHost, type SessionMachine } from './agent-session.js';
import type { Redactor } from '../../shared/redact.js';
import { inLists } from '../store/in-list.js';

/** Longest a heartbeat waits to be stored with others (`AgentHub.heartbeat`). */
export const HEARTBEAT_BATCH_MS = 1000;

export interface AgentHubOptions {
  /** `elasticbox notify` from a script of this instance. */
  onNotify?: (instanceId: string) => void;
  onError?: (err: unknown, machine?: string) => void;
  /** An agent named an execution of another machine; its message was refused (quality.md A3). */
  onRefused?: (refusal: Refusal) => void;
}

/** What is recorded of a refused agent message: never its payload. */
export interface Refusal {
  machine: string;
  workspace: string;
  messageType: string;
  executionId: string;
}

/**
 * The agents' side of the control plane: one authenticated websocket per machine. Stores output
 * records (once per `(executionId, seq)`) and results (once per `executionId`) before it acks
 * them, records connects, disconnects, heartbeats and heartbeat loss, and lets the workflow engine
 * send `execute` to a machine. Emits `connect:<machine>`, `disconnect:<machine>`,
 * `result:<executionId>` and `rejected:<executionId>`.
 */
export class AgentHub implements AgentChannel, SessionHost {
  readonly events = new EventEmitter();
  private readonly sessions = new Map<string, AgentSession>();
  /** Execution id → the connection its `execute` went out on (see `dispatch`). */
  private readonly sentOn = new Map<string, number>();
  private nextId = 1;
  /**
   * The other replicas (PostgreSQL): a control message or a close for a machine not connected
   * here goes to the replica that holds it (workflows/remote-dispatch.ts).
   */
  forward: ((control: AgentControl) => void) | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Machines whose heartbeat arrived since the last flush (see `heartbeat`). */
  private heard = new Set<string>();
  private heardFlush: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly opts: AgentHubOptions,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Starts pinging connected agents every P; a peer with no pong by the next tick is terminated. */
  start(pingIntervalMs: number): void {
    this.stopped = false;
    this.pinger ??= setInterval(() => this.tick(), pingIntervalMs);
    this.pinger.unref();
  }

  /** Closes every agent connection ("going away": agents reconnect to the next server). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.pinger);
    this.pinger = undefined;
    // Heartbeats not yet stored are dropped: the next start marks every machine disconnected.
    clearTimeout(this.heardFlush);
    this.heardFlush = undefined;
    this.heard.clear();
    for (const s of this.sessions.values()) s.close(CloseCode.goingAway, 'server stopping');
  }

  accept(socket: WebSocket, machine: Machine): void {
    new AgentSession(this, socket, machine, this.nextId++);
  }

  session(machine: string): AgentSessionView | undefined {
    const s = this.sessions.get(machine);
    return s?.ready ? { id: s.id, holds: (id) => s.holds(id) } : undefined;
  }

  send(machine: string, message: ServerMessage): boolean {
    const s = this.sessions.get(machine);
    if (s?.ready) return s.send(message);
    if (!s) this.forward?.({ machine, send: message });
    return false;
  }

  dispatch(machine: string, message: ExecuteMessage): boolean {
    const s = this.sessions.get(machine);
    if (!s?.ready || this.sentOn.get(message.executionId) === s.id || s.holds(message.executionId)) return false;
    this.sentOn.set(message.executionId, s.id);
    return s.send(message);
  }

  resultStored(executionId: string): void {
    this.sentOn.delete(executionId);
    this.events.emit(`result:${executionId}`);
    this.events.emit('result', executionId);
  }

  disconnect(machine: string, code: number, reason: string): void {
    const s = this.sessions.get(machine);
    if (s) s.close(code, reason);
    else this.forward?.({ machine, close: { code, reason } });
  }

  /** Another replica's control message: applied only if the machine is connected here. */
  control(c: AgentControl): void {
    const s = this.sessions.get(c.machine);
    if (!s) return;
    if (c.send && s.ready) s.send(c.send);
    if (c.close) s.close(c.close.code, c.close.reason);
  }

  get connectedMachines(): string[] {
    return [...this.sessions.keys()];
  }

  private tick(): void {
    for (const s of this.sessions.values()) {
      if (s.awaitingPong) {
        s.lost = true;
        s.socket.terminate();
        continue;
      }
      s.awaitingPong = true;
      try {
        s.socket.ping();
      } catch {
        // closing already
      }
    }
  }

  private async agentEvent(
    machine: SessionMachine,
    type: 'agent.connect' | 'agent.disconnect' | 'agent.lost',
    data: { session: number; agentVersion?: string },
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (type === 'agent.connect') await markConnected(trx, machine.name, String(data.agentVersion ?? ''));
      else await markDisconnected(trx, machine.name);
      // A registered machine (no machines row until a deploy takes it) keeps its own presence.
      await markRegisteredSeen(trx, machine.name, {
        connected: type === 'agent.connect',
        ...(type === 'agent.connect' ? { agentVersion: String(data.agentVersion ?? '') } : {}),
      });
      await appendEvents(trx, [
        {
          workspace: machine.workspace,
          type,
          instanceId: machine.instanceId || null,
          data: { machine: machine.name, ...data },
        },
      ]);
    });
    this.bus.committed(machine.workspace);
  }

  /** A hello arrived: this session replaces any older one of the same machine. */
  async ready(s: AgentSession): Promise<void> {
    await checkOwnExecutions(this.db, [...(s.hello?.pending ?? []), ...(s.hello?.running ?? [])], s.name);
    const old = this.sessions.get(s.name);
    this.sessions.set(s.name, s);
    if (old && old !== s) old.close(CloseCode.replaced, 'replaced by a new connection');
    await this.agentEvent(s.machine, 'agent.connect', { agentVersion: s.hello?.agentVersion, session: s.id });
  }

  announce(s: AgentSession): void {
    this.events.emit(`connect:${s.name}`);
  }

  closed(s: AgentSession): void {
    for (const [id, session] of this.sentOn) if (session === s.id) this.sentOn.delete(id);
    if (this.sessions.get(s.name) !== s) return;
    this.sessions.delete(s.name);
    // A stopping server leaves the store alone: the next start marks every machine disconnected.
    if (this.stopped) return void this.events.emit(`disconnect:${s.name}`);
    const type = s.lost ? 'agent.lost' : 'agent.disconnect';
    this.agentEvent(s.machine, type, { session: s.id })
      .catch((err) => this.report(err, s))
      .finally(() => this.events.emit(`disconnect:${s.name}`));
  }

  /**
   * Heartbeats are stored in batches, at most {@link HEARTBEAT_BATCH_MS} after they arrive: with
   * 10,000 agents at one heartbeat per 20 s, one commit per heartbeat was 1,000 statements a second
   * (T4/T13, issue 12). Readers of `last_agent_ping` (execution leases, replica presence) allow
   * for far more than that delay.
   */
  async heartbeat(s: AgentSession): Promise<void> {
    this.heard.add(s.name);
    if (this.heardFlush) return;
    this.heardFlush = setTimeout(() => {
      this.heardFlush = undefined;
      this.flushHeartbeats().catch((err) => this.report(err));
    }, HEARTBEAT_BATCH_MS);
    this.heardFlush.unref();
  }

  private async flushHeartbeats(): Promise<void> {
    const names = [...this.heard];
    this.heard.clear();
    if (names.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await recordPings(trx, names);
      await markRegisteredSeenMany(trx, names);
    });
    // A registered machine taken by a deploy must reconnect to be served under the deploy's machine
    // name. Provisioning asks for that (disconnect); for an agent connected to another replica the
    // request goes by NOTIFY, which is lost if that replica's listener was reconnecting (PostgreSQL
    // restarted, connection terminated). The heartbeats notice what was missed.
    const taken = [];
    for (const list of inLists(names)) {
      taken.push(
        ...(await this.db
          .selectFrom('registered_machines')
          .select(['id', 'machine_name'])
          .where('id', 'in', list)
          .where('machine_name', 'is not', null)
          .execute()),
      );
    }
    for (const row of taken) {
      if (row.machine_name === row.id) continue;
      this.sessions.get(row.id)?.close(CloseCode.goingAway, 'taken by a deploy');
    }
  }

  /** Stores a batch of output, set and notify records in one transaction, then acks each execution. */
  async records(s: AgentSession, msgs: ExecutionRecord[]): Promise<void> {
    for (const id of new Set(msgs.map((m) => m.executionId))) {
      if (s.redactors.has(id)) continue;
      const exec = await ownExecution(this.db, id, s.name);
      s.redactors.set(id, await redactorFor(this.db, exec?.instance_id ?? ''));
    }
    const stored = await storeRecords(this.db, s.name, msgs, (id) => s.redactors.get(id) as Redactor);
    for (const w of stored.workspaces) this.bus.committed(w);
    for (const [executionId, seq] of stored.acks) if (seq > 0) s.send({ type: 'ack', executionId, seq });
    for (const instanceId of stored.notify) this.opts.onNotify?.(instanceId);
  }

  async result(s: AgentSession, msg: ResultMessage): Promise<void> {
    await failpoint('agent-result-received');
    const stored = await storeExecutionResult(this.db, s.name, msg.executionId, resultOf(msg), { fromAgent: true });
    if (stored.workspace) this.bus.committed(stored.workspace);
    s.redactors.delete(msg.executionId);
    if (stored.complete) s.send({ type: 'result_ack', executionId: msg.executionId });
    if (stored.fresh) this.resultStored(msg.executionId);
  }

  async rejected(s: AgentSession, msg: RejectedMessage): Promise<void> {
    const exec = await ownExecution(this.db, msg.executionId, s.name);
    if (!exec || exec.status) return;
    if (msg.reason === 'duplicate' && s.holds(msg.executionId)) return;
    if (msg.reason === 'duplicate' || msg.reason === 'invalid') {
      const message =
        msg.reason === 'duplicate'
          ? 'the agent had started this script before and no longer holds its result'
          : `the agent refused the script: ${msg.message ?? 'invalid'}`;
      const status = msg.reason === 'duplicate' ? 'agent-lost' : 'failed';
      const stored = await storeExecutionResult(this.db, s.name, msg.executionId, {
        status,
        exitCode: null,
        message,
        truncated: false,
        lastSeq: null,
      });
      if (stored.workspace) this.bus.committed(stored.workspace);
      if (stored.fresh) this.resultStored(msg.executionId);
      return;
    }
    // Refused for now (busy, say): sent again on the next check.
    this.sentOn.delete(msg.executionId);
    this.events.emit(`rejected:${msg.executionId}`);
  }

  /**
   * Audits a message that named another machine's execution: an `agent.refused` event in the
   * offending machine's workspace and the `onRefused` hook (the server logs it at warn).
   */
  async refused(s: AgentSession, messageType: string, executionId: string): Promise<void> {
    const refusal: Refusal = { machine: s.name, workspace: s.machine.workspace, messageType, executionId };
    this.opts.onRefused?.(refusal);
    await this.db.transaction().execute((trx) =>
      appendEvents(trx, [
        {
          workspace: s.machine.workspace,
          type: 'agent.refused',
          instanceId: s.machine.instanceId,
          data: { machine: s.name, message: messageType, executionId, reason: 'execution of another machine' },
        },
      ]),
    );
    this.bus.committed(s.machine.workspace);
  }

  report(err: unknown, s?: AgentSession): void {
    this.opts.onError?.(err, s?.name);
  }
}
