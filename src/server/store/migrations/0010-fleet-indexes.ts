import type { Kysely, Migration } from 'kysely';

/**
 * Lookups that scanned whole tables on every deploy (issue 12, bench/t08-deploys.ts) get indexes,
 * so a deploy costs the same with 10 or 10,000 instances, machines and finished workflows:
 *
 * - `instances.binding_watch`: 1 when the instance may be reconfigured because another instance
 *   joined or left its bindings (its document names a Binding variable, it has
 *   `automatic_reconfiguration: true` and is not deleted). The end of every operation looked for
 *   those by matching `"Binding"` against every instance document; the flag is kept by
 *   instances/store.ts on every write and filled here for existing instances.
 * - `instances (owner, name)`: the name check of every deploy request.
 * - `registered_machines (machine_name)` and `(workspace, instance_id, created)`: the machine a
 *   deploy holds (each agent connect and heartbeat), and the free machines a deploy takes from.
 */
export const fleetIndexes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('instances')
      .addColumn('binding_watch', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    const rows = (await db
      .selectFrom('instances')
      .select(['id', 'doc'])
      .where('doc', 'like', '%"Binding"%')
      .execute()) as { id: string; doc: string }[];
    for (const r of rows) {
      const doc = JSON.parse(r.doc) as { automatic_reconfiguration?: unknown; deleted?: unknown };
      if (doc.automatic_reconfiguration !== true || doc.deleted) continue;
      await db.updateTable('instances').set({ binding_watch: 1 }).where('id', '=', r.id).execute();
    }
    await db.schema.createIndex('instances_binding_watch').on('instances').column('binding_watch').execute();
    await db.schema.createIndex('instances_owner_name').on('instances').columns(['owner', 'name']).execute();
    await db.schema
      .createIndex('registered_machines_machine_name')
      .on('registered_machines')
      .column('machine_name')
      .execute();
    await db.schema
      .createIndex('registered_machines_free')
      .on('registered_machines')
      .columns(['workspace', 'instance_id', 'created'])
      .execute();
  },
};
