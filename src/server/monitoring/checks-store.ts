import type { Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { createHash } from 'node:crypto';
import type { BoxCheckSpec, CheckDoc } from '../../shared/monitoring/checks.js';
import { schemaUrl } from '../store/docs.js';
import type { BoxDoc } from '../boxes/store.js';
import type { InstanceDoc } from '../instances/store.js';

type Conn = Db | Transaction<Database>;

const parse = (doc: string) => JSON.parse(doc) as CheckDoc;

export async function insertCheck(db: Conn, doc: CheckDoc): Promise<void> {
  await db
    .insertInto('checks')
    .values({
      id: doc.id,
      workspace: doc.owner,
      name: doc.name,
      version: doc.version,
      doc: JSON.stringify(doc),
      created: doc.created,
      updated: doc.updated,
    })
    .execute();
  await db
    .insertInto('check_versions')
    .values({ check_id: doc.id, version: doc.version, doc: JSON.stringify(doc), created: doc.updated })
    .execute();
}

/** Stores a new version of a check (the caller has bumped `version`). */
export async function updateCheck(db: Conn, doc: CheckDoc): Promise<void> {
  await db
    .updateTable('checks')
    .set({ name: doc.name, version: doc.version, doc: JSON.stringify(doc), updated: doc.updated })
    .where('id', '=', doc.id)
    .execute();
  await db
    .insertInto('check_versions')
    .values({ check_id: doc.id, version: doc.version, doc: JSON.stringify(doc), created: doc.updated })
    .execute();
}

export async function getCheck(db: Conn, id: string): Promise<CheckDoc | undefined> {
  const r = await db.selectFrom('checks').select('doc').where('id', '=', id).executeTakeFirst();
  return r ? parse(r.doc) : undefined;
}

export async function findCheckByName(db: Conn, workspace: string, name: string): Promise<CheckDoc | undefined> {
  const r = await db
    .selectFrom('checks')
    .select('doc')
    .where('workspace', '=', workspace)
    .where('name', '=', name)
    .executeTakeFirst();
  return r ? parse(r.doc) : undefined;
}

export async function listChecks(db: Conn, workspaces: string[]): Promise<CheckDoc[]> {
  if (!workspaces.length) return [];
  const rows = await db
    .selectFrom('checks')
    .select('doc')
    .where('workspace', 'in', workspaces)
    .orderBy('name')
    .execute();
  return rows.map((r) => parse(r.doc));
}

export async function checkVersions(db: Conn, id: string): Promise<CheckDoc[]> {
  const rows = await db
    .selectFrom('check_versions')
    .select('doc')
    .where('check_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((r) => parse(r.doc));
}

/** Removes a check, its versions and its states; its alerts stay as history. */
export async function deleteCheck(db: Conn, id: string): Promise<void> {
  await db.deleteFrom('check_versions').where('check_id', '=', id).execute();
  await db.deleteFrom('check_states').where('check_id', '=', id).execute();
  await db.deleteFrom('checks').where('id', '=', id).execute();
}

/** Whether a check targets an instance: same workspace, all the check's tags, and its box if named. */
export function checkTargets(check: CheckDoc, instance: InstanceDoc): boolean {
  if (check.owner !== instance.owner) return false;
  const tags = new Set((instance.tags as string[] | undefined) ?? []);
  if (check.target?.tags?.some((t) => !tags.has(t))) return false;
  if (check.target?.box) {
    const boxes = ((instance.boxes as { id?: string; name?: string }[] | undefined) ?? []).flatMap((b) => [
      b.id,
      b.name,
    ]);
    if (instance.box !== check.target.box && !boxes.includes(check.target.box)) return false;
  }
  return true;
}

/** The version of a box-declared check: a number that changes when its definition does. */
const specVersion = (spec: BoxCheckSpec): number =>
  createHash('sha256').update(JSON.stringify(spec)).digest().readUInt32BE(0) >>> 1;

/**
 * The checks the instance's boxes declare (`checks` in a box), as the instance's deploy took
 * them: one per box (its versions share an id) and name, targeting that box.
 */
export function boxChecksOf(instance: InstanceDoc): CheckDoc[] {
  const boxes = (instance.boxes as BoxDoc[] | undefined) ?? [];
  return boxes.flatMap((box) =>
    ((box.checks as BoxCheckSpec[] | undefined) ?? []).map((spec) => {
      const boxId = box.version?.box ?? box.id;
      return {
        ...spec,
        id: `box:${boxId}:${spec.name}`,
        uri: `/services/boxes/${box.id}`,
        schema: schemaUrl('check'),
        owner: instance.owner,
        version: specVersion(spec),
        target: { box: box.id },
        created: box.created,
        updated: box.updated,
      };
    }),
  );
}

/** The checks a machine of this instance runs: the repository's that target it, and its boxes'. */
export async function checksForInstance(db: Conn, instance: InstanceDoc): Promise<CheckDoc[]> {
  const repository = (await listChecks(db, [instance.owner])).filter((c) => checkTargets(c, instance));
  return [...repository, ...boxChecksOf(instance)];
}
