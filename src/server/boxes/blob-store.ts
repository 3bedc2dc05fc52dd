import type { Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import type { BlobsTable, Database } from '../store/schema.js';

type Conn = Db | Transaction<Database>;

/** What is known about a stored blob, without its bytes. */
export type BlobMeta = Omit<BlobsTable, 'data'>;

export interface NewBlob extends BlobMeta {
  data: Buffer;
}

const META = ['id', 'name', 'uploader', 'content_type', 'length', 'md5', 'created'] as const;

export async function insertBlob(db: Conn, blob: NewBlob): Promise<void> {
  await db.insertInto('blobs').values(blob).execute();
}

export async function getBlobMeta(db: Conn, id: string): Promise<BlobMeta | undefined> {
  return db.selectFrom('blobs').select(META).where('id', '=', id).executeTakeFirst();
}

export async function getBlobData(db: Conn, id: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('blobs').select('data').where('id', '=', id).executeTakeFirst();
  return row?.data;
}

/**
 * A user may read a blob they uploaded, or one referenced by a box (draft or version) owned by
 * a workspace they are a member of.
 */
export async function canReadBlob(db: Conn, userId: string, blob: Pick<BlobMeta, 'id' | 'uploader'>): Promise<boolean> {
  if (blob.uploader === userId) return true;
  const row = await db
    .selectFrom('box_blobs')
    .innerJoin('boxes', 'boxes.id', 'box_blobs.box_id')
    .innerJoin('memberships', 'memberships.workspace_id', 'boxes.owner')
    .select('box_blobs.box_id')
    .where('box_blobs.blob_id', '=', blob.id)
    .where('memberships.member', '=', userId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
