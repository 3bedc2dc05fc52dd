import type { EventEmitter } from 'node:events';
import type { EventBus } from '../events/log.js';
import type { Provider } from '../providers/types.js';
import type { Db } from '../store/db.js';
import type { ExecuteMessage, ServerMessage } from '../../shared/protocol.js';

/** Timing knobs of the engine and the agent channel (quality.md A1 tunables; tests shrink them). */
export interface Tunables {
  /** Workflow lease length; renewed every third of it while the workflow runs. */
  leaseMs: number;
  /** Server ping interval P (agents heartbeat at the same rate). */
  pingIntervalMs: number;
  /** How long a step waits for a machine's agent to (re)connect before the operation fails. */
  agentConnectTimeoutMs: number;
  /** Fallback poll interval of waits (they are woken by events first). */
  pollMs: number;
  /** Workflows one worker runs at once. */
  concurrency: number;
  /** Scheduler tick for instance leases. */
  schedulerMs: number;
  /** How long one event script may run before the agent kills it (sent as `execute.timeoutSeconds`). */
  scriptTimeoutSeconds: number;
}

export const DEFAULT_TUNABLES: Tunables = {
  leaseMs: 60_000,
  pingIntervalMs: 20_000,
  agentConnectTimeoutMs: 10 * 60_000,
  pollMs: 1_000,
  concurrency: 64,
  schedulerMs: 1_000,
  scriptTimeoutSeconds: 30 * 60,
};

/** Largest script timeout the agent protocol accepts (`execute.timeoutSeconds`). */
const MAX_SCRIPT_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** The script timeout to send: a whole number of seconds within what the protocol accepts. */
export const scriptTimeout = (t: Pick<Tunables, 'scriptTimeoutSeconds'>): number =>
  Math.min(MAX_SCRIPT_TIMEOUT_SECONDS, Math.max(1, Math.round(t.scriptTimeoutSeconds)));

/** A live agent connection as the engine sees it. */
export interface AgentSessionView {
  /** Increases with every connection of any agent; tells a reconnect from the same session. */
  id: number;
  /** Executions the agent said it holds (pending or running) when it said hello. */
  holds(executionId: string): boolean;
}

/**
 * The agent hub as the engine uses it. Emits `connect`/`disconnect` (machine name),
 * `result` (execution id) and `rejected` (execution id, reason).
 */
export interface AgentChannel {
  readonly events: EventEmitter;
  session(machine: string): AgentSessionView | undefined;
  send(machine: string, message: ServerMessage): boolean;
  /**
   * Sends `execute` to the machine's agent once per connection (not at all when the agent says it
   * holds the execution): several waiters on one replica, or a waiter and another replica's
   * request, never send it twice on one connection (a second copy would be refused as a duplicate).
   */
  dispatch(machine: string, message: ExecuteMessage): boolean;
  /** A result was stored: wakes its waiters (`result:<executionId>`) here and on other replicas. */
  resultStored(executionId: string): void;
  /** Closes a machine's connection (its token was revoked or the machine destroyed). */
  disconnect(machine: string, code: number, reason: string): void;
}

/** The other replicas, as the engine sees them (workflows/remote-dispatch.ts). */
export interface ReplicaLink {
  /** Asks the other replicas to dispatch this machine's pending executions. */
  requestDispatch(machine: string): void;
}

/** What the orchestration needs of the replica bridge (events/replica-bridge.ts). */
export interface ReplicaPeers {
  announce(topic: ReplicaTopic, item: string): void;
  onAnnounce(topic: ReplicaTopic, handler: (item: string) => void): void;
}

/**
 * `dispatch`: a machine whose pending scripts a replica waits for; `result`: an execution whose
 * result was stored; `control`: a small message for, or the closing of, an agent's connection.
 */
export type ReplicaTopic = 'dispatch' | 'result' | 'control';

/** What the agent hub forwards to the replica holding a machine's connection. */
export interface AgentControl {
  machine: string;
  send?: ServerMessage;
  close?: { code: number; reason: string };
}

/** Everything steps need: store, event bus, agents, providers and tunables. */
export interface EngineEnv {
  db: Db;
  bus: EventBus;
  dataDir: string;
  /** The control plane URL agents and scripts use (known once the server listens). */
  publicUrl(): string;
  agents: AgentChannel;
  /** The other replicas on the same PostgreSQL database (none on the embedded store): remote-dispatch.ts. */
  replicas?: ReplicaLink;
  providerFor(providerId: string): Promise<Provider>;
  tunables: Tunables;
}

/** Environment variables that override tunables (tests and the separate-process server use them). */
export const ENV_TUNABLES: Record<keyof Tunables, string> = {
  leaseMs: 'EBCLI_WORKFLOW_LEASE_MS',
  pingIntervalMs: 'EBCLI_PING_INTERVAL_MS',
  agentConnectTimeoutMs: 'EBCLI_AGENT_CONNECT_TIMEOUT_MS',
  pollMs: 'EBCLI_WORKFLOW_POLL_MS',
  concurrency: 'EBCLI_WORKFLOW_CONCURRENCY',
  schedulerMs: 'EBCLI_LEASE_SCHEDULER_MS',
  scriptTimeoutSeconds: 'EBCLI_SCRIPT_TIMEOUT_SECONDS',
};

export function tunablesFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Tunables> {
  const out: Partial<Tunables> = {};
  for (const [key, name] of Object.entries(ENV_TUNABLES) as [keyof Tunables, string][]) {
    const value = Number(env[name]);
    if (env[name] && Number.isFinite(value) && value > 0) out[key] = value;
  }
  return out;
}
