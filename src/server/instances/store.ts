import type { Transaction } from 'kysely';
import { parseDoc, toDoc } from '../store/docs.js';
import type { Db } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';
import type { Database } from '../store/schema.js';

type Conn = Db | Transaction<Database>;

/** An instance document as served (cam-api.md §3.4). */
export type InstanceDoc = Record<string, unknown> & {
  id: string;
  uri: string;
  schema: string;
  name: string;
  owner: string;
  box: string;
  state: 'processing' | 'done' | 'unavailable';
  operation: { event: string; workspace: string; created: string };
  created: string;
  updated: string;
};

/**
 * `instances.binding_watch` (migration 0010): whether the instance is one an operation's end must
 * look at because another instance joined or left its bindings (workflows/auto-reconfigure.ts):
 * its document names a Binding variable, it reconfigures automatically and is not deleted.
 */
const bindingWatch = (doc: InstanceDoc, text: string): number =>
  doc.automatic_reconfiguration === true && !doc.deleted && text.includes('"Binding"') ? 1 : 0;

function row(doc: InstanceDoc, providerId: string | null) {
  const text = toDoc(doc);
  return {
    id: doc.id,
    owner: doc.owner,
    name: doc.name,
    box_id: doc.box,
    provider_id: providerId,
    state: doc.state,
    doc: text,
    binding_watch: bindingWatch(doc, text),
    created: doc.created,
    updated: doc.updated,
  };
}

export async function insertInstance(db: Conn, doc: InstanceDoc, providerId: string | null): Promise<void> {
  await db.insertInto('instances').values(row(doc, providerId)).execute();
}

export async function updateInstance(db: Conn, doc: InstanceDoc): Promise<void> {
  const text = toDoc(doc);
  await db
    .updateTable('instances')
    .set({ name: doc.name, state: doc.state, doc: text, binding_watch: bindingWatch(doc, text), updated: doc.updated })
    .where('id', '=', doc.id)
    .execute();
}

/** Points an instance at another box (a pull); the document's `box` changes with it. */
export async function setInstanceBox(db: Conn, id: string, boxId: string): Promise<void> {
  await db.updateTable('instances').set({ box_id: boxId }).where('id', '=', id).execute();
}

export async function getInstance(db: Conn, id: string): Promise<InstanceDoc | undefined> {
  const r = await db.selectFrom('instances').select('doc').where('id', '=', id).executeTakeFirst();
  return r ? parseDoc<InstanceDoc>(r.doc) : undefined;
}

/**
 * Reads an instance document that the transaction is about to change: on PostgreSQL the row is
 * locked (`FOR UPDATE`) until the transaction ends, so a concurrent read-modify-write of the same
 * instance (a workflow step, an agent's `elasticbox set`, a user's update) waits and then reads
 * this one's result instead of overwriting it (READ COMMITTED would lose one of the two changes).
 * SQLite runs one transaction at a time, so there the plain read is already enough.
 */
export async function getInstanceForUpdate(trx: Transaction<Database>, id: string): Promise<InstanceDoc | undefined> {
  let q = trx.selectFrom('instances').select('doc').where('id', '=', id);
  if (isPostgres(trx)) q = q.forUpdate();
  const r = await q.executeTakeFirst();
  return r ? parseDoc<InstanceDoc>(r.doc) : undefined;
}

/** Locks the instance's row for the rest of the transaction on PostgreSQL (see {@link getInstanceForUpdate}). */
export async function lockInstance(trx: Transaction<Database>, id: string): Promise<void> {
  if (isPostgres(trx)) await trx.selectFrom('instances').select('id').where('id', '=', id).forUpdate().execute();
}

export async function listInstances(db: Conn, owners: string[], ids?: string[]): Promise<InstanceDoc[]> {
  return (await listInstanceTexts(db, owners, ids)).map((text) => parseDoc<InstanceDoc>(text));
}

/** The stored text of the documents {@link listInstances} returns, in the same order. */
export async function listInstanceTexts(db: Conn, owners: string[], ids?: string[]): Promise<string[]> {
  if (owners.length === 0) return [];
  let q = db.selectFrom('instances').select('doc').where('owner', 'in', owners);
  if (ids) q = q.where('id', 'in', ids.length ? ids : ['']);
  const rows = await q.orderBy('created').execute();
  return rows.map((r) => r.doc);
}

/** Ids of instances that use a box or provider and are not yet deleted. */
export async function instancesUsing(db: Conn, column: 'box_id' | 'provider_id', id: string): Promise<string[]> {
  const rows = await db.selectFrom('instances').select('id').where(column, '=', id).execute();
  return rows.map((r) => r.id);
}

export async function deleteInstance(db: Conn, id: string): Promise<void> {
  await db.deleteFrom('instances').where('id', '=', id).execute();
}

/** Documents of the instances flagged `binding_watch` other than `exceptId`, oldest first. */
export async function bindingWatchers(db: Conn, exceptId: string): Promise<InstanceDoc[]> {
  const rows = await db
    .selectFrom('instances')
    .select('doc')
    .where('binding_watch', '=', 1)
    .where('id', '!=', exceptId)
    .orderBy('created')
    .execute();
  return rows.map((r) => parseDoc<InstanceDoc>(r.doc));
}

/** Instances of a workspace with the given name, deleted ones included. */
export async function findInstancesByName(db: Conn, owner: string, name: string): Promise<InstanceDoc[]> {
  const rows = await db
    .selectFrom('instances')
    .select('doc')
    .where('owner', '=', owner)
    .where('name', '=', name)
    .execute();
  return rows.map((r) => parseDoc<InstanceDoc>(r.doc));
}
