import type { Kysely, Migration } from 'kysely';
import { portableTypes } from '../dialect.js';

/**
 * The event log: one append-only stream per workspace with a gap-free sequence. `stream_heads`
 * holds each stream's last sequence number; appending updates that row inside the writer's
 * transaction, so (on PostgreSQL too) a higher sequence can never commit before a lower one.
 */
export const events: Migration = {
  async up(db: Kysely<unknown>) {
    const t = portableTypes(db);
    await db.schema
      .createTable('stream_heads')
      .addColumn('workspace', 'text', (c) => c.primaryKey())
      .addColumn('head', t.int64, (c) => c.notNull())
      .addColumn('epoch', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('events')
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('seq', t.int64, (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text')
      .addColumn('operation_id', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('events_pk', ['workspace', 'seq'])
      .execute();
    await db.schema.createIndex('events_instance').on('events').columns(['instance_id', 'seq']).execute();
  },
};
