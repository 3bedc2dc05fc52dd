import type { RawData, WebSocket } from 'ws';
import {
  CloseCode,
  ProtocolError,
  encodeMessage,
  parseMessage,
  type AgentMessage,
  type ExecutionRecord,
  type HelloMessage,
  type RejectedMessage,
  type ResultMessage,
  type ServerMessage,
} from '../../shared/protocol.js';
import type { Redactor } from '../../shared/redact.js';
import type { Machine } from '../workflows/store/machines.js';
import { ForeignExecutionError } from './agent-records.js';

/** A peer that does not say hello within this time after the upgrade is closed (quality.md A1). */
export const HELLO_DEADLINE_MS = 10_000;
/** Send-buffer cap per socket; past it the agent is cut off and resumes after reconnecting. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Frames waiting to be handled before the socket stops reading. */
const MAX_QUEUED = 1024;
/** Most frames handled (and records stored in one transaction) per round. */
const MAX_BATCH = 512;

/**
 * What a session keeps of its machine: the fields the hub uses. An idle connection lives for days
 * and there are thousands of them, so the rest of the row (timestamps, address, ids) is not kept.
 */
export type SessionMachine = Pick<Machine, 'name' | 'workspace' | 'instanceId' | 'agentName'>;

const sessionMachine = (m: Machine): SessionMachine => ({
  name: m.name,
  workspace: m.workspace,
  instanceId: m.instanceId,
  ...(m.agentName ? { agentName: m.agentName } : {}),
});

/** What a session hands to its hub (ws/agent-hub.ts), which does the storing. */
export interface SessionHost {
  ready(s: AgentSession): Promise<void>;
  announce(s: AgentSession): void;
  closed(s: AgentSession): void;
  heartbeat(s: AgentSession): Promise<void>;
  records(s: AgentSession, msgs: ExecutionRecord[]): Promise<void>;
  result(s: AgentSession, msg: ResultMessage): Promise<void>;
  rejected(s: AgentSession, msg: RejectedMessage): Promise<void>;
  refused(s: AgentSession, messageType: string, executionId: string): Promise<void>;
  report(err: unknown, s?: AgentSession): void;
}

/**
 * One authenticated agent connection. Frames are validated with the protocol's `parseMessage` and
 * handled one at a time, in order; the hub does the storing. The socket is bound to the machine
 * its token belongs to, and the `hello` must name that machine.
 */
export class AgentSession {
  ready = false;
  /** Set at each ping tick, cleared by any pong or frame; still set at the next tick = dead peer. */
  awaitingPong = false;
  /** The peer was terminated for missing pongs (heartbeat loss), not closed by itself. */
  lost = false;
  /** The agent's hello, until the hub has handled it. */
  hello: HelloMessage | undefined;
  /** Executions the hello said the agent holds; absent when none (most agents, most of the time). */
  private held: Set<string> | undefined;
  /** Output redactors of the executions this agent is streaming, made on their first record. */
  private redactorsOf: Map<string, Redactor> | undefined;
  private pending: { frame: Buffer; isBinary: boolean }[] = [];
  private draining = false;
  private deadline: NodeJS.Timeout | undefined;
  readonly machine: SessionMachine;

  constructor(
    private readonly hub: SessionHost,
    readonly socket: WebSocket,
    machine: Machine,
    readonly id: number,
  ) {
    this.machine = sessionMachine(machine);
    socket.on('pong', () => (this.awaitingPong = false));
    socket.on('message', (data, isBinary) => this.enqueue(data, isBinary));
    socket.on('close', () => {
      this.clearDeadline();
      hub.closed(this);
    });
    this.deadline = setTimeout(() => {
      if (!this.ready) this.close(CloseCode.policy, 'hello expected');
    }, HELLO_DEADLINE_MS);
    this.deadline.unref();
  }

  get name(): string {
    return this.machine.name;
  }

  /** Whether the agent said, in its hello, that it holds this execution (pending or running). */
  holds(executionId: string): boolean {
    return this.held?.has(executionId) ?? false;
  }

  get redactors(): Map<string, Redactor> {
    return (this.redactorsOf ??= new Map());
  }

  private clearDeadline(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  send(message: ServerMessage): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    this.socket.send(encodeMessage(message));
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(CloseCode.slowConsumer, 'slow consumer');
      return false;
    }
    return true;
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
      setTimeout(() => this.socket.terminate(), 2000).unref();
    }
  }

  private enqueue(data: RawData, isBinary: boolean): void {
    this.awaitingPong = false;
    const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    this.pending.push({ frame, isBinary });
    if (this.pending.length > MAX_QUEUED) this.socket.pause();
    if (!this.draining) void this.drain();
  }

  /**
   * Handles queued frames in order. Runs of output/set/notify records that arrived together are
   * stored as one batch (one transaction), which is what keeps chatty scripts from queueing.
   */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const frames = this.pending.splice(0, MAX_BATCH);
        if (this.pending.length < MAX_QUEUED / 4) this.socket.resume();
        let batch: ExecutionRecord[] = [];
        for (const { frame, isBinary } of frames) {
          const msg = this.parse(frame, isBinary);
          if (!msg) return;
          if (this.ready && (msg.type === 'output' || msg.type === 'set_variable' || msg.type === 'notify')) {
            batch.push(msg);
            continue;
          }
          if (batch.length) await this.guard(this.hub.records(this, batch), 'records');
          batch = [];
          await this.guard(this.handle(msg), msg.type);
        }
        if (batch.length) await this.guard(this.hub.records(this, batch), 'records');
      }
    } finally {
      this.draining = false;
    }
  }

  private async guard(work: Promise<void>, messageType: string): Promise<void> {
    try {
      await work;
    } catch (err) {
      if (!(err instanceof ForeignExecutionError)) {
        this.hub.report(err, this);
        // What the agent sent was not stored (a database restarting, a terminated connection):
        // nothing after it may be handled as if it had been, and an open connection would keep
        // the agent from sending it again. It reconnects and resends its hello and outbox.
        this.pending = [];
        return this.close(CloseCode.tryAgainLater, 'the control plane could not store this; reconnect');
      }
      // Refused and audited: nothing after this frame is handled (quality.md A3).
      this.pending = [];
      this.close(CloseCode.policy, 'execution of another machine');
      await this.hub.refused(this, messageType, err.executionId).catch((e) => this.hub.report(e, this));
    }
  }

  private parse(frame: Buffer, isBinary: boolean): AgentMessage | undefined {
    if (this.socket.readyState !== this.socket.OPEN) return undefined;
    try {
      if (isBinary) throw new ProtocolError('binary frames are not accepted', CloseCode.invalidData);
      return parseMessage(frame, 'agent');
    } catch (err) {
      const code = err instanceof ProtocolError ? err.closeCode : CloseCode.policy;
      this.close(code, err instanceof Error ? err.message : 'invalid frame');
      this.pending = [];
      return undefined;
    }
  }

  private async handle(msg: AgentMessage): Promise<void> {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (!this.ready) {
      if (msg.type !== 'hello') return this.close(CloseCode.policy, 'hello expected first');
      if (msg.machine !== (this.machine.agentName ?? this.machine.name))
        return this.close(CloseCode.policy, 'hello names another machine');
      this.hello = msg;
      if (msg.pending.length + msg.running.length > 0) this.held = new Set([...msg.pending, ...msg.running]);
      this.clearDeadline();
      await this.hub.ready(this);
      this.hello = undefined;
      this.ready = true;
      this.hub.announce(this);
      return;
    }
    switch (msg.type) {
      case 'hello':
        return this.close(CloseCode.policy, 'hello sent twice');
      case 'heartbeat':
        return this.hub.heartbeat(this);
      case 'pong':
        return;
      case 'output':
      case 'set_variable':
      case 'notify':
        return this.hub.records(this, [msg]);
      case 'result':
        this.held?.delete(msg.executionId);
        return this.hub.result(this, msg);
      case 'rejected':
        return this.hub.rejected(this, msg);
    }
  }
}
