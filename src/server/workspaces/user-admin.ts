import { sql, type Transaction } from 'kysely';
import { schemaUrl } from '../store/docs.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { timestamp } from '../../shared/time.js';
import type { UserDoc } from '../../shared/users.js';
import { getWorkspace, ownedCounts, saveTeamWorkspace, updatePersonalWorkspace, type WorkspaceDoc } from './store.js';

type Conn = Db | Transaction<Database>;

/** A user as the organization's user routes serve it (never the password hash). */
export type { UserDoc };

/** The one organization of an ebcli control plane, as CAM's documents name it. */
export const ORGANIZATION = 'public';

export function userDoc(row: {
  id: string;
  email: string;
  is_admin: number;
  created: string;
  updated: string;
}): UserDoc {
  return {
    id: row.id,
    uri: `/services/organizations/${ORGANIZATION}/users/${row.id}`,
    schema: schemaUrl('user'),
    username: row.id,
    email: row.email,
    is_admin: row.is_admin === 1,
    organization: ORGANIZATION,
    workspace: row.id,
    created: row.created,
    updated: row.updated,
  };
}

const USER_COLUMNS = ['id', 'email', 'is_admin', 'created', 'updated'] as const;

export async function listUsers(db: Conn): Promise<UserDoc[]> {
  const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('created').orderBy('id').execute();
  return rows.map(userDoc);
}

export async function getUser(db: Conn, id: string): Promise<UserDoc | undefined> {
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? userDoc(row) : undefined;
}

/**
 * Why a new user cannot take this username or email, if it cannot: the username is also the id
 * of its personal workspace, so it must not name any workspace; emails compare case-insensitively.
 */
export async function newUserClash(db: Conn, username: string, email: string): Promise<string | undefined> {
  const ws = await getWorkspace(db, username);
  if (ws?.doc.deleted) return `The username ${username} belonged to a removed user; choose another`;
  if (ws) return `The username ${username} is taken`;
  const sameEmail = await db
    .selectFrom('users')
    .select('id')
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  return sameEmail ? `A user with email ${email} already exists` : undefined;
}

/** Why a user cannot be removed without losing something, if it cannot. */
export async function removalBlocker(db: Conn, id: string): Promise<string | undefined> {
  const teams = await db
    .selectFrom('workspaces')
    .select('id')
    .where('kind', '=', 'team')
    .where('owner', '=', id)
    .orderBy('id')
    .execute();
  if (teams.length) return `${id} owns team workspaces: ${teams.map((w) => w.id).join(', ')}`;
  const machines = await db
    .selectFrom('registered_machines')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace', '=', id)
    .executeTakeFirst();
  const counts = { ...(await ownedCounts(db, id)), 'registered machines': Number(machines?.n ?? 0) };
  const held = Object.entries(counts).filter(([, n]) => n > 0);
  if (held.length) return `${id}'s workspace still owns ${held.map(([k, n]) => `${n} ${k}`).join(', ')}`;
  const shared = await sharedWith(db, id);
  if (shared.length) return `${shared.join(', ')} ${shared.length === 1 ? 'is' : 'are'} still shared with ${id}`;
  return undefined;
}

/**
 * Providers and instances whose `members` name the workspace: a later user of the same name would
 * inherit those shares, so a user is removed only once nothing is shared with it. Documents are
 * stored as compact JSON, so a LIKE on the member entry finds the candidates; the parsed
 * `members` decide.
 */
async function sharedWith(db: Conn, workspace: string): Promise<string[]> {
  const pattern = `%"workspace":${JSON.stringify(workspace).replace(/[%_\\]/g, '\\$&')}%`;
  const found: string[] = [];
  for (const table of ['providers', 'instances'] as const) {
    const rows = await db
      .selectFrom(table)
      .select(['id', 'doc'])
      .where(sql<boolean>`doc like ${pattern} escape '\\'`)
      .execute();
    for (const row of rows) {
      const members = (JSON.parse(row.doc) as { members?: { workspace?: string }[] }).members ?? [];
      if (members.some((m) => m.workspace === workspace)) found.push(`${table.slice(0, -1)} ${row.id}`);
    }
  }
  return found;
}

export interface RemovedCredentials {
  tokenIds: string[];
  sessionHashes: string[];
}

/**
 * Deletes a user: its memberships (team workspace documents drop it from `members`), tokens,
 * console sessions, idempotency records and the user row. Its personal workspace stays, marked
 * `deleted` and without members, so that its id is never reused: what still names it (uploaded
 * blobs, events, checks) can never reach a later user or team workspace of the same name. Run it
 * in a transaction after {@link removalBlocker} found nothing; returns what was revoked.
 */
export async function deleteUser(trx: Transaction<Database>, id: string): Promise<RemovedCredentials> {
  const teams = await trx
    .selectFrom('memberships')
    .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
    .select('workspaces.id')
    .where('memberships.member', '=', id)
    .where('workspaces.kind', '=', 'team')
    .execute();
  for (const { id: wsId } of teams) {
    const ws = await getWorkspace(trx, wsId);
    if (!ws) continue;
    const doc = { ...ws.doc, members: (ws.doc.members ?? []).filter((m) => m.workspace !== id) };
    await saveTeamWorkspace(trx, doc as WorkspaceDoc & { owner: string }, false);
  }
  const tokens = await trx.selectFrom('tokens').select('id').where('user_id', '=', id).execute();
  const sessions = await trx.selectFrom('console_sessions').select('hash').where('user_id', '=', id).execute();
  await trx.deleteFrom('memberships').where('member', '=', id).execute();
  await trx.deleteFrom('tokens').where('user_id', '=', id).execute();
  await trx.deleteFrom('console_sessions').where('user_id', '=', id).execute();
  await trx.deleteFrom('idempotency_keys').where('user_id', '=', id).execute();
  await trx.deleteFrom('memberships').where('workspace_id', '=', id).execute();
  const personal = await getWorkspace(trx, id);
  if (personal) {
    const now = timestamp();
    await updatePersonalWorkspace(trx, { ...personal.doc, updated: now, deleted: now });
  }
  await trx.deleteFrom('users').where('id', '=', id).execute();
  return { tokenIds: tokens.map((t) => t.id), sessionHashes: sessions.map((s) => s.hash) };
}
