import type { Kysely, Migration } from 'kysely';

/**
 * Automatic reconfiguration (cam-api.md §4.3): `pending_reconfigures` holds at most one queued
 * reconfigure per instance that was busy when its bindings changed or a bound instance ran
 * `elasticbox notify`. The row is written in the transaction that saw the change and removed in
 * the one that ends the instance's current workflow (starting the reconfigure there), so a change
 * is neither lost nor applied twice across restarts; several changes coalesce into one row.
 *
 * - `forced` is 1 when a notify asked for it: it runs even if the bindings are unchanged by then.
 * - `causes` is a JSON array of short texts (the activity entry names them).
 */
export const reconfigure: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('pending_reconfigures')
      .addColumn('instance_id', 'text', (c) => c.primaryKey())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('forced', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('causes', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('updated', 'text', (c) => c.notNull())
      .execute();
  },
};
