import type { Transaction } from 'kysely';
import { parseDoc, toDoc } from '../store/docs.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';

type Conn = Db | Transaction<Database>;

export type WorkspaceDoc = Record<string, unknown> & {
  id: string;
  name: string;
  uri: string;
  schema: string;
  owner?: string;
  members?: { role: 'read' | 'collaborator'; workspace: string }[];
};

export async function getWorkspace(db: Conn, id: string) {
  const row = await db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { ...row, doc: parseDoc<WorkspaceDoc>(row.doc) } : undefined;
}

/** Workspaces the user belongs to, the personal one first. */
export async function listWorkspacesFor(db: Conn, userId: string, ids?: string[]): Promise<WorkspaceDoc[]> {
  let q = db
    .selectFrom('workspaces')
    .innerJoin('memberships', 'memberships.workspace_id', 'workspaces.id')
    .select(['workspaces.doc', 'workspaces.kind'])
    .where('memberships.member', '=', userId);
  if (ids) q = q.where('workspaces.id', 'in', ids.length ? ids : ['']);
  const rows = await q.orderBy('workspaces.created').execute();
  rows.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'personal' ? -1 : 1));
  return rows.map((r) => parseDoc<WorkspaceDoc>(r.doc));
}

/** Writes a team workspace and replaces its membership rows from `owner` and `members`. */
export async function saveTeamWorkspace(
  db: Conn,
  doc: WorkspaceDoc & { owner: string },
  isNew: boolean,
): Promise<void> {
  const values = { name: doc.name, doc: toDoc(doc), updated: doc.updated as string };
  if (isNew) {
    await db
      .insertInto('workspaces')
      .values({ id: doc.id, kind: 'team', owner: doc.owner, created: doc.created as string, ...values })
      .execute();
  } else {
    await db.updateTable('workspaces').set(values).where('id', '=', doc.id).execute();
  }
  await db.deleteFrom('memberships').where('workspace_id', '=', doc.id).execute();
  const rows = [{ workspace_id: doc.id, member: doc.owner, role: 'owner' as const }];
  for (const m of doc.members ?? []) {
    if (m.workspace !== doc.owner) rows.push({ workspace_id: doc.id, member: m.workspace, role: m.role as 'owner' });
  }
  await db.insertInto('memberships').values(rows).execute();
}

export async function updatePersonalWorkspace(db: Conn, doc: WorkspaceDoc): Promise<void> {
  await db
    .updateTable('workspaces')
    .set({ name: doc.name, doc: toDoc(doc), updated: doc.updated as string })
    .where('id', '=', doc.id)
    .execute();
}

export async function deleteWorkspace(db: Conn, id: string): Promise<void> {
  await db.deleteFrom('memberships').where('workspace_id', '=', id).execute();
  await db.deleteFrom('workspaces').where('id', '=', id).execute();
}

/** Counts what a workspace still owns, so a delete can refuse to orphan it. */
export async function ownedCounts(db: Conn, id: string) {
  const count = async (table: 'boxes' | 'instances' | 'providers') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('owner', '=', id)
          .executeTakeFirst()
      )?.n ?? 0,
    );
  return { boxes: await count('boxes'), instances: await count('instances'), providers: await count('providers') };
}
