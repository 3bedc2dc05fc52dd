import { parseTimestamp } from '../../shared/time.js';
import { storeExecutionResult } from '../ws/agent-records.js';
import type { EngineEnv, Tunables } from './env.js';
import { executionId } from './store/executions.js';

/**
 * The execution lease (quality.md A1: 3P). An execution dispatched to a machine whose agent has
 * been silent for longer than this ends `agent-lost` (NL-5), so the operation waiting for it ends.
 */
export const executionLeaseMs = (t: Pick<Tunables, 'pingIntervalMs'>): number => 3 * t.pingIntervalMs;

/** Ids per query (well below SQLite's bound-variable limit). */
const CHUNK = 500;

/**
 * The longest wait between two reconnect attempts of an agent (the local provider starts its
 * agents with this cap, quality.md A1: at most 60 s). After a server start, agents are given this
 * long to find the new server before their silence counts.
 */
export const agentReconnectCapMs = (t: Pick<Tunables, 'pingIntervalMs'>): number =>
  Math.min(60_000, Math.max(2000, 5 * t.pingIntervalMs));

const later = (...times: (number | undefined)[]): number => Math.max(0, ...times.map((t) => t ?? 0));

/**
 * Ends `agent-lost` every unresolved execution whose machine has no live agent connection and has
 * not been heard from (hello or heartbeat) for longer than the execution lease. The lease clock
 * never starts before the execution was created, nor before `since` (this server's start: an agent
 * cannot be blamed for the time no server listened) plus the agents' reconnect cap. The result is stored like an agent's, once:
 * whichever of this and the agent's real result commits first is the execution's only result.
 * Returns the ids it ended.
 */
export async function expireSilentExecutions(env: EngineEnv, since: number, now = Date.now()): Promise<string[]> {
  // Only the current step of an open workflow can wait for an execution (ended workflows settle theirs).
  const open = await env.db
    .selectFrom('workflows')
    .select(['id', 'next_step'])
    .where('open_for', 'is not', null)
    .execute();
  const ids = open.map((w) => executionId(w.id, w.next_step));
  const ended: string[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await env.db
      .selectFrom('executions')
      .innerJoin('machines', 'machines.name', 'executions.machine')
      .select(['executions.id', 'executions.machine', 'executions.created', 'machines.last_agent_ping'])
      .where('executions.id', 'in', ids.slice(i, i + CHUNK))
      .where('executions.status', 'is', null)
      .execute();
    for (const r of rows) if (await expire(env, r, since, now)) ended.push(r.id);
  }
  return ended;
}

interface Candidate {
  id: string;
  machine: string;
  created: string;
  last_agent_ping: string | null;
}

async function expire(env: EngineEnv, r: Candidate, since: number, now: number): Promise<boolean> {
  const leaseMs = executionLeaseMs(env.tunables);
  if (env.agents.session(r.machine)) return false;
  const start = since + agentReconnectCapMs(env.tunables);
  const heard = later(start, parseTimestamp(r.created), r.last_agent_ping ? parseTimestamp(r.last_agent_ping) : 0);
  if (now - heard <= leaseMs) return false;
  const seconds = Math.round(leaseMs / 1000);
  const stored = await storeExecutionResult(env.db, r.machine, r.id, {
    status: 'agent-lost',
    exitCode: null,
    message: `the agent of machine ${r.machine} was silent for more than ${seconds} s`,
    truncated: false,
    lastSeq: null,
  });
  if (stored.workspace) env.bus.committed(stored.workspace);
  if (stored.fresh) env.agents.resultStored(r.id);
  return stored.fresh;
}
