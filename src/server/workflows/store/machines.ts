import type { Transaction } from 'kysely';
import type { Db } from '../../store/db.js';
import type { Database, MachinesTable } from '../../store/schema.js';
import { inLists } from '../../store/in-list.js';
import { hashToken } from '../../auth/security.js';
import { timestamp } from '../../../shared/time.js';

type Conn = Db | Transaction<Database>;

/** Power state of a machine as the provider left it. */
export type MachineState = 'provisioning' | 'running' | 'stopped' | 'terminated';

export interface MachineAddress {
  public: string;
  private: string;
}

export interface Machine {
  name: string;
  instanceId: string;
  workspace: string;
  serviceId: string;
  providerId: string;
  state: MachineState;
  address: MachineAddress;
  agentPid: number | null;
  agentVersion: string | null;
  connected: boolean;
  connections: number;
  lastAgentPing: string | null;
  hasToken: boolean;
  created: string;
  updated: string;
  /** The name the agent says in `hello` when it differs (a registered machine serving a deploy). */
  agentName?: string;
}

export function toMachine(r: MachinesTable): Machine {
  return {
    name: r.name,
    instanceId: r.instance_id,
    workspace: r.workspace,
    serviceId: r.service_id,
    providerId: r.provider_id,
    state: r.state as MachineState,
    address: JSON.parse(r.address) as MachineAddress,
    agentPid: r.agent_pid,
    agentVersion: r.agent_version,
    connected: r.connected === 1,
    connections: r.connections,
    lastAgentPing: r.last_agent_ping,
    hasToken: r.token_hash !== null,
    created: r.created,
    updated: r.updated,
  };
}

export async function getMachine(db: Conn, name: string): Promise<Machine | undefined> {
  const r = await db.selectFrom('machines').selectAll().where('name', '=', name).executeTakeFirst();
  return r ? toMachine(r) : undefined;
}

export async function machinesOf(db: Conn, instanceId: string): Promise<Machine[]> {
  const rows = await db
    .selectFrom('machines')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('name')
    .execute();
  return rows.map(toMachine);
}

/** The machine a token belongs to; tokens of terminated machines are revoked (hash cleared). */
export async function machineForToken(db: Conn, token: string): Promise<Machine | undefined> {
  const r = await db.selectFrom('machines').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
  return r ? toMachine(r) : undefined;
}

/**
 * The agent-channel view of a registered machine (store/registered-machines.ts): it has no
 * machines row until a deploy takes it, and its sessions are keyed by its id.
 */
export function registeredAsMachine(m: {
  id: string;
  workspace: string;
  instanceId: string | null;
  address: string | null;
  agentVersion: string | null;
  connected: boolean;
  lastSeen: string | null;
  created: string;
  updated: string;
}): Machine {
  const address = m.address ?? '';
  return {
    name: m.id,
    instanceId: m.instanceId ?? '',
    workspace: m.workspace,
    serviceId: '',
    providerId: '',
    state: 'running',
    address: { public: address, private: address },
    agentPid: null,
    agentVersion: m.agentVersion,
    connected: m.connected,
    connections: 0,
    lastAgentPing: m.lastSeen,
    hasToken: true,
    created: m.created,
    updated: m.updated,
  };
}

export interface NewMachine {
  name: string;
  instanceId: string;
  workspace: string;
  serviceId: string;
  providerId: string;
  token: string;
  address: MachineAddress;
}

/** Creates the machine row, or sets its token when it exists (a provision step run again). */
export async function upsertMachine(db: Conn, m: NewMachine): Promise<void> {
  const now = timestamp();
  const existing = await getMachine(db, m.name);
  if (existing) {
    await db
      .updateTable('machines')
      .set({ token_hash: hashToken(m.token), updated: now })
      .where('name', '=', m.name)
      .execute();
    return;
  }
  await db
    .insertInto('machines')
    .values({
      name: m.name,
      instance_id: m.instanceId,
      workspace: m.workspace,
      service_id: m.serviceId,
      provider_id: m.providerId,
      token_hash: hashToken(m.token),
      state: 'provisioning',
      address: JSON.stringify(m.address),
      agent_pid: null,
      agent_version: null,
      connected: 0,
      connections: 0,
      last_agent_ping: null,
      created: now,
      updated: now,
    })
    .execute();
}

export async function setMachineState(
  db: Conn,
  name: string,
  state: MachineState,
  extra: { agentPid?: number | null; revokeToken?: boolean; address?: MachineAddress } = {},
): Promise<void> {
  await db
    .updateTable('machines')
    .set({
      state,
      updated: timestamp(),
      ...(extra.agentPid !== undefined ? { agent_pid: extra.agentPid } : {}),
      ...(extra.address ? { address: JSON.stringify(extra.address) } : {}),
      ...(extra.revokeToken ? { token_hash: null } : {}),
    })
    .where('name', '=', name)
    .execute();
}

/** An agent connected: count the connection (reboot waits compare counts) and record its version. */
export async function markConnected(db: Conn, name: string, agentVersion: string): Promise<void> {
  const now = timestamp();
  await db
    .updateTable('machines')
    .set((eb) => ({
      connected: 1,
      connections: eb('connections', '+', 1),
      agent_version: agentVersion,
      last_agent_ping: now,
      updated: now,
    }))
    .where('name', '=', name)
    .execute();
}

export async function markDisconnected(db: Conn, name: string): Promise<void> {
  await db.updateTable('machines').set({ connected: 0, updated: timestamp() }).where('name', '=', name).execute();
}

export async function recordPing(db: Conn, name: string): Promise<void> {
  await recordPings(db, [name]);
}

/** Records a heartbeat of each of these machines now (one statement per list of store/in-list.ts). */
export async function recordPings(db: Conn, names: string[]): Promise<void> {
  const now = timestamp();
  for (const list of inLists(names)) {
    await db.updateTable('machines').set({ last_agent_ping: now }).where('name', 'in', list).execute();
  }
}

/** On start no agent is connected to this process yet. */
export async function resetConnections(db: Conn): Promise<void> {
  await db.updateTable('machines').set({ connected: 0 }).where('connected', '=', 1).execute();
  await db.updateTable('registered_machines').set({ connected: 0 }).where('connected', '=', 1).execute();
}
