import type { Transaction } from 'kysely';
import { parseDoc, toDoc } from '../store/docs.js';
import type { Db } from '../store/db.js';
import type { Database, ProviderLogsTable } from '../store/schema.js';

type Conn = Db | Transaction<Database>;

/** A provider document as served; credentials live apart in `secrets` and are never served. */
export type ProviderDoc = Record<string, unknown> & {
  id: string;
  uri: string;
  schema: string;
  type: string;
  name: string;
  owner: string;
  state: string;
  created: string;
  updated: string;
};

export async function insertProvider(db: Conn, doc: ProviderDoc, secrets: Record<string, unknown> = {}): Promise<void> {
  await db
    .insertInto('providers')
    .values({
      id: doc.id,
      owner: doc.owner,
      name: doc.name,
      type: doc.type,
      doc: toDoc(doc),
      secrets: toDoc(secrets),
      created: doc.created,
      updated: doc.updated,
    })
    .execute();
}

export async function updateProvider(db: Conn, doc: ProviderDoc, secrets?: Record<string, unknown>): Promise<void> {
  await db
    .updateTable('providers')
    .set({ name: doc.name, doc: toDoc(doc), updated: doc.updated, ...(secrets ? { secrets: toDoc(secrets) } : {}) })
    .where('id', '=', doc.id)
    .execute();
}

export async function getProvider(db: Conn, id: string): Promise<ProviderDoc | undefined> {
  const row = await db.selectFrom('providers').select('doc').where('id', '=', id).executeTakeFirst();
  return row ? parseDoc<ProviderDoc>(row.doc) : undefined;
}

export async function getProviderSecrets(db: Conn, id: string): Promise<Record<string, unknown>> {
  const row = await db.selectFrom('providers').select('secrets').where('id', '=', id).executeTakeFirst();
  return row ? parseDoc<Record<string, unknown>>(row.secrets) : {};
}

export async function listProviders(db: Conn, owners: string[]): Promise<ProviderDoc[]> {
  if (owners.length === 0) return [];
  const rows = await db.selectFrom('providers').select('doc').where('owner', 'in', owners).orderBy('created').execute();
  return rows.map((r) => parseDoc<ProviderDoc>(r.doc));
}

export async function deleteProvider(db: Conn, id: string): Promise<void> {
  await db.deleteFrom('provider_logs').where('provider_id', '=', id).execute();
  await db.deleteFrom('providers').where('id', '=', id).execute();
}

/** A provider log entry as stored; `request_id` and `updated` are derived when served. */
export type ProviderLogRow = Omit<ProviderLogsTable, 'seq'>;

export async function insertProviderLog(db: Conn, entry: ProviderLogRow): Promise<void> {
  await db.insertInto('provider_logs').values(entry).execute();
}

/** Log entries of a provider, oldest first. */
export async function listProviderLogs(db: Conn, providerId: string): Promise<ProviderLogRow[]> {
  return db
    .selectFrom('provider_logs')
    .select(['id', 'provider_id', 'level', 'text', 'operation', 'workspace', 'created'])
    .where('provider_id', '=', providerId)
    .orderBy('seq')
    .execute();
}

/** Every provider, for access checks that also follow `members` (the table stays small). */
export async function listAllProviders(db: Conn): Promise<ProviderDoc[]> {
  const rows = await db.selectFrom('providers').select('doc').orderBy('created').execute();
  return rows.map((r) => parseDoc<ProviderDoc>(r.doc));
}

export async function findProviderByName(db: Conn, owner: string, name: string): Promise<ProviderDoc | undefined> {
  const row = await db
    .selectFrom('providers')
    .select('doc')
    .where('owner', '=', owner)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? parseDoc<ProviderDoc>(row.doc) : undefined;
}
