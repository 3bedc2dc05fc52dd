import { parseTimestamp } from '../../shared/time.js';
import type { EngineEnv } from './env.js';
import { executionLeaseMs } from './execution-lease.js';
import { getMachine } from './store/machines.js';

/**
 * Whether the machine's agent is connected to another replica: no connection here, but the store
 * says it is connected and heard from it within the execution lease (the replica holding the
 * connection records each heartbeat in `machines.last_agent_ping`). Always false on one replica.
 */
export async function connectedElsewhere(env: EngineEnv, machine: string): Promise<boolean> {
  if (!env.replicas || env.agents.session(machine)) return false;
  const row = await getMachine(env.db, machine);
  const heard = row?.connected && row.lastAgentPing ? parseTimestamp(row.lastAgentPing) : undefined;
  return heard !== undefined && Date.now() - heard <= executionLeaseMs(env.tunables);
}
