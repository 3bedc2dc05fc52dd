import type { Db } from '../store/db.js';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { parseDoc, toDoc } from '../store/docs.js';

/** A box document as served (script, policy, docker, cloudformation or application box). */
export type BoxDoc = Record<string, unknown> & {
  id: string;
  uri: string;
  schema: string;
  name: string;
  owner: string;
  created: string;
  updated: string;
  variables?: BoxVariable[];
  version?: { box: string; number: VersionNumber; description?: string; workspace?: string };
};

export interface BoxVariable {
  name: string;
  type: string;
  value?: string;
  scope?: string;
  [key: string]: unknown;
}

export interface VersionNumber {
  major: number;
  minor: number;
  patch: number;
}

type Conn = Db | Transaction<Database>;

const versionKey = (n: VersionNumber): string =>
  [n.major, n.minor, n.patch].map((x) => String(x).padStart(6, '0')).join('.');

/** Stores a new box (draft or version) and records which blobs it references. */
export async function insertBox(db: Conn, doc: BoxDoc, blobIds: string[] = []): Promise<void> {
  await db
    .insertInto('boxes')
    .values({
      id: doc.id,
      owner: doc.owner,
      name: doc.name,
      schema: doc.schema,
      parent_id: doc.version?.box ?? null,
      version_number: doc.version ? versionKey(doc.version.number) : null,
      doc: toDoc(doc),
      created: doc.created,
      updated: doc.updated,
    })
    .execute();
  await setBoxBlobs(db, doc.id, blobIds);
}

export async function updateBox(db: Conn, doc: BoxDoc, blobIds: string[] = []): Promise<void> {
  await db
    .updateTable('boxes')
    .set({ name: doc.name, doc: toDoc(doc), updated: doc.updated })
    .where('id', '=', doc.id)
    .execute();
  await setBoxBlobs(db, doc.id, blobIds);
}

async function setBoxBlobs(db: Conn, boxId: string, blobIds: string[]): Promise<void> {
  await db.deleteFrom('box_blobs').where('box_id', '=', boxId).execute();
  const unique = [...new Set(blobIds)];
  if (unique.length > 0) {
    await db
      .insertInto('box_blobs')
      .values(unique.map((blob_id) => ({ box_id: boxId, blob_id })))
      .execute();
  }
}

export async function getBox(db: Conn, id: string): Promise<BoxDoc | undefined> {
  const row = await db.selectFrom('boxes').select('doc').where('id', '=', id).executeTakeFirst();
  return row ? parseDoc<BoxDoc>(row.doc) : undefined;
}

/** Drafts (not versions) owned by any of the workspaces. */
export async function listBoxes(db: Conn, owners: string[], ids?: string[]): Promise<BoxDoc[]> {
  if (owners.length === 0) return [];
  let q = db.selectFrom('boxes').select('doc').where('owner', 'in', owners);
  q = ids ? q.where('id', 'in', ids.length ? ids : ['']) : q.where('parent_id', 'is', null);
  const rows = await q.orderBy('created').execute();
  return rows.map((r) => parseDoc<BoxDoc>(r.doc));
}

/** Versions of a box, newest first (JP reads `[0]`, ebcli scans for the highest number). */
export async function listVersions(db: Conn, boxId: string): Promise<BoxDoc[]> {
  const rows = await db
    .selectFrom('boxes')
    .select('doc')
    .where('parent_id', '=', boxId)
    .orderBy('version_number', 'desc')
    .execute();
  return rows.map((r) => parseDoc<BoxDoc>(r.doc));
}

export async function findBoxByName(db: Conn, owner: string, name: string): Promise<BoxDoc | undefined> {
  const row = await db
    .selectFrom('boxes')
    .select('doc')
    .where('owner', '=', owner)
    .where('name', '=', name)
    .where('parent_id', 'is', null)
    .executeTakeFirst();
  return row ? parseDoc<BoxDoc>(row.doc) : undefined;
}

/** Deletes a draft with all of its versions. */
export async function deleteBoxTree(db: Conn, id: string): Promise<void> {
  const ids = [
    id,
    ...(await db.selectFrom('boxes').select('id').where('parent_id', '=', id).execute()).map((r) => r.id),
  ];
  await db.deleteFrom('box_blobs').where('box_id', 'in', ids).execute();
  await db.deleteFrom('boxes').where('id', 'in', ids).execute();
}

/**
 * Drafts and versions whose document mentions the id anywhere; callers check where. A `_` or `%`
 * in the id would only widen the match (box ids are UUIDs, which have neither).
 */
export async function boxesMentioning(db: Conn, id: string): Promise<BoxDoc[]> {
  const rows = await db.selectFrom('boxes').select('doc').where('doc', 'like', `%${id}%`).execute();
  return rows.map((r) => parseDoc<BoxDoc>(r.doc));
}

/** Ids of instances whose document mentions the id: as its box, its policy box or a nested box. */
export async function instancesMentioning(db: Conn, id: string): Promise<string[]> {
  const rows = await db.selectFrom('instances').select('id').where('doc', 'like', `%${id}%`).execute();
  return rows.map((r) => r.id);
}
