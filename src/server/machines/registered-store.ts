/**
 * Enrollment tokens and registered machines (migration 0005). Tokens and credentials are kept
 * as sha256 hashes only; the plaintext exists once, in the answer that hands it out.
 */
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { hashToken, newToken } from '../auth/security.js';
import type { Db } from '../store/db.js';
import type { Database, RegisteredMachinesTable } from '../store/schema.js';
import { inLists } from '../store/in-list.js';
import { formatTimestamp, timestamp } from '../../shared/time.js';

type Conn = Db | Transaction<Database>;

export interface RegisteredMachine {
  id: string;
  workspace: string;
  hostname: string;
  claims: string[];
  agentVersion: string | null;
  address: string | null;
  connected: boolean;
  lastSeen: string | null;
  instanceId: string | null;
  /** The deploy's machine name it serves while an instance holds it. */
  machineName: string | null;
  created: string;
  updated: string;
}

const toMachine = (r: RegisteredMachinesTable): RegisteredMachine => ({
  id: r.id,
  workspace: r.workspace,
  hostname: r.hostname,
  claims: JSON.parse(r.claims) as string[],
  agentVersion: r.agent_version,
  address: r.address,
  connected: r.connected === 1,
  lastSeen: r.last_seen,
  instanceId: r.instance_id,
  machineName: r.machine_name,
  created: r.created,
  updated: r.updated,
});

/** Registered machine ids: `rm-` and 10 lowercase hex characters, assigned by the server. */
export const REGISTERED_MACHINE_ID = /^rm-[0-9a-f]{10}$/;
const newMachineId = () => `rm-${randomBytes(5).toString('hex')}`;

export interface MintedEnrollment {
  id: string;
  token: string;
  expires: string;
  claims: string[];
  workspace: string;
}

/**
 * Mints a one-time enrollment token for `workspace`, valid for `ttlMs`. With `holder`, the
 * machine it enrolls is held by that deploy's machine from the start (SSH provider).
 */
export async function mintEnrollmentToken(
  db: Conn,
  args: {
    workspace: string;
    claims: string[];
    ttlMs: number;
    createdBy: string;
    holder?: { instanceId: string; machineName: string };
  },
): Promise<MintedEnrollment> {
  const token = newToken();
  const id = randomBytes(8).toString('hex');
  const expires = formatTimestamp(BigInt(Date.now() + args.ttlMs) * 1000n);
  await db
    .insertInto('enrollment_tokens')
    .values({
      id,
      workspace: args.workspace,
      token_hash: hashToken(token),
      claims: JSON.stringify(args.claims),
      expires,
      used: 0,
      machine_id: null,
      created_by: args.createdBy,
      created: timestamp(),
      ...(args.holder ? { instance_id: args.holder.instanceId, machine_name: args.holder.machineName } : {}),
    })
    .execute();
  return { id, token, expires, claims: args.claims, workspace: args.workspace };
}

export type EnrollOutcome =
  { ok: true; machine: RegisteredMachine; credential: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/**
 * Trades an enrollment token for a new machine and its credential, in one transaction: the
 * token is marked used by the same write that creates the machine, so it is traded at most once.
 */
export async function redeemEnrollmentToken(
  db: Db,
  token: string,
  host: { hostname: string; agentVersion?: string; address?: string },
): Promise<EnrollOutcome> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('enrollment_tokens')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' } as const;
    if (row.used) return { ok: false, reason: 'used' } as const;
    if (row.expires <= timestamp()) return { ok: false, reason: 'expired' } as const;
    const credential = newToken();
    const now = timestamp();
    const id = newMachineId();
    const claimed = await trx
      .updateTable('enrollment_tokens')
      .set({ used: 1, machine_id: id })
      .where('id', '=', row.id)
      .where('used', '=', 0)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return { ok: false, reason: 'used' } as const;
    const values: RegisteredMachinesTable = {
      id,
      workspace: row.workspace,
      hostname: host.hostname,
      claims: row.claims,
      token_hash: hashToken(credential),
      agent_version: host.agentVersion ?? null,
      address: host.address ?? null,
      connected: 0,
      last_seen: null,
      instance_id: row.instance_id ?? null,
      machine_name: row.machine_name ?? null,
      created: now,
      updated: now,
    };
    await trx.insertInto('registered_machines').values(values).execute();
    return { ok: true, machine: toMachine(values), credential } as const;
  });
}

export async function registeredMachineForToken(db: Conn, credential: string): Promise<RegisteredMachine | undefined> {
  const r = await db
    .selectFrom('registered_machines')
    .selectAll()
    .where('token_hash', '=', hashToken(credential))
    .executeTakeFirst();
  return r ? toMachine(r) : undefined;
}

/** The machine an enrollment token created, once it was traded. */
export async function machineOfEnrollment(db: Conn, enrollmentId: string): Promise<RegisteredMachine | undefined> {
  const row = await db
    .selectFrom('enrollment_tokens')
    .select('machine_id')
    .where('id', '=', enrollmentId)
    .executeTakeFirst();
  return row?.machine_id ? getRegisteredMachine(db, row.machine_id) : undefined;
}

export async function getRegisteredMachine(db: Conn, id: string): Promise<RegisteredMachine | undefined> {
  const r = await db.selectFrom('registered_machines').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toMachine(r) : undefined;
}

export async function listRegisteredMachines(db: Conn, workspaces: string[]): Promise<RegisteredMachine[]> {
  if (!workspaces.length) return [];
  const rows = await db
    .selectFrom('registered_machines')
    .selectAll()
    .where('workspace', 'in', workspaces)
    .orderBy('created')
    .execute();
  return rows.map(toMachine);
}

/** Deletes the machine: its credential stops working at once. */
export async function removeRegisteredMachine(db: Conn, id: string): Promise<boolean> {
  const r = await db.deleteFrom('registered_machines').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** The agent channel saw the machine: connected, disconnected or a heartbeat. */
export async function markRegisteredSeen(
  db: Conn,
  id: string,
  change: { connected?: boolean; agentVersion?: string },
): Promise<void> {
  const now = timestamp();
  await db
    .updateTable('registered_machines')
    .set({
      last_seen: now,
      updated: now,
      ...(change.connected !== undefined ? { connected: change.connected ? 1 : 0 } : {}),
      ...(change.agentVersion !== undefined ? { agent_version: change.agentVersion } : {}),
    })
    .where((eb) => eb.or([eb('id', '=', id), eb('machine_name', '=', id)]))
    .execute();
}

/** Marks these registered machines (by id, or by the deploy machine that holds them) seen now. */
export async function markRegisteredSeenMany(db: Conn, ids: string[]): Promise<void> {
  const now = timestamp();
  for (const chunk of inLists(ids)) {
    await db
      .updateTable('registered_machines')
      .set({ last_seen: now, updated: now })
      .where((eb) => eb.or([eb('id', 'in', chunk), eb('machine_name', 'in', chunk)]))
      .execute();
  }
}

/** On start no agent is connected to this process yet. */
export async function resetRegisteredConnections(db: Conn): Promise<void> {
  await db.updateTable('registered_machines').set({ connected: 0 }).where('connected', '=', 1).execute();
}
