import type { AuthUser } from '../context.js';
import { forbidden, unauthorized } from '../http/errors.js';
import type { Db } from '../store/db.js';
import { compiledOnce } from '../store/compiled-query.js';

export type Role = 'owner' | 'collaborator' | 'read';

/** The request's user; throws 401 if the route was reached without one. */
export function userOf(req: { user?: AuthUser }): AuthUser {
  if (!req.user) throw unauthorized();
  return req.user;
}

/** Ids of every workspace the user is a member of (personal workspace included). */
/** The workspaces of a member (every list request asks), compiled once per store. */
const workspacesOf = compiledOnce(
  (db: Db, userId: string) => db.selectFrom('memberships').select('workspace_id').where('member', '=', userId),
  ['placeholder-user'],
);

export async function memberWorkspaces(db: Db, userId: string): Promise<string[]> {
  return (await workspacesOf(db, userId)).map((r) => r.workspace_id);
}

export async function roleIn(db: Db, userId: string, workspaceId: string): Promise<Role | undefined> {
  const row = await db
    .selectFrom('memberships')
    .select('role')
    .where('member', '=', userId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row?.role;
}

/** Throws 403 unless the user may read resources owned by the workspace. */
export async function assertCanRead(db: Db, user: AuthUser, workspaceId: string): Promise<Role> {
  const role = await roleIn(db, user.id, workspaceId);
  if (!role) throw forbidden(`You are not a member of workspace ${workspaceId}`);
  return role;
}

/** Throws 403 unless the user may change resources owned by the workspace. */
export async function assertCanWrite(db: Db, user: AuthUser, workspaceId: string): Promise<Role> {
  const role = await assertCanRead(db, user, workspaceId);
  if (role === 'read') throw forbidden(`You have read-only access to workspace ${workspaceId}`);
  return role;
}
