import type { Kysely, Migration } from 'kysely';

/**
 * Machines anywhere (issue 11): hosts that run the installed agent and enrol themselves.
 *
 * - `enrollment_tokens`: one-time tokens `ebcli machines register` mints. Only the sha256 of a
 *   token is kept; `used` is set, in the transaction that creates the machine, by the one
 *   enrollment that trades it; `expires` bounds when it may be traded.
 * - `registered_machines`: the enrolled hosts. `id` is assigned by the server (`rm-xxxxxxxx`);
 *   `token_hash` is the sha256 of the machine credential; `claims` a JSON array of strings;
 *   `connected`/`last_seen` come from the agent channel (heartbeats); `instance_id` is set while
 *   a deploy holds the machine (Existing Machines provider), `machine_name` the name of that
 *   deploy's machine (the agent channel serves the machine under that name meanwhile). A removed machine's row is deleted:
 *   its credential stops working and nothing of it is left for a machine enrolled later.
 */
export const registeredMachines: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('enrollment_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('claims', 'text', (c) => c.notNull())
      .addColumn('expires', 'text', (c) => c.notNull())
      .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('machine_id', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('registered_machines')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('claims', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('agent_version', 'text')
      .addColumn('address', 'text')
      .addColumn('connected', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_seen', 'text')
      .addColumn('instance_id', 'text')
      .addColumn('machine_name', 'text')
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('updated', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('registered_machines_workspace')
      .on('registered_machines')
      .column('workspace')
      .execute();
  },
};
