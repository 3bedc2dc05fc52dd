import type { Kysely, Migration } from 'kysely';

/**
 * The `SSH` provider (issue 11) installs the agent on hosts it reaches over ssh.
 *
 * - `enrollment_tokens.instance_id` / `machine_name`: a token minted for one deploy's machine;
 *   the machine its redemption creates is held by that deploy from the start (its agent's first
 *   connection is already served under the deploy's machine name).
 * - `ssh_installs`: one row per machine an SSH provider set up: the provider, the host
 *   (`host:port`) it took, whether it installed with sudo, the enrollment token it minted and,
 *   once the agent enrolled, the registered machine. Terminate reads it to remove the agent from
 *   that host; the row goes with the machine. A host serves one machine at a time, whichever
 *   provider names it (a second bootstrap there would replace the first agent).
 */
export const sshInstalls: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('enrollment_tokens').addColumn('instance_id', 'text').execute();
    await db.schema.alterTable('enrollment_tokens').addColumn('machine_name', 'text').execute();
    await db.schema
      .createTable('ssh_installs')
      .addColumn('machine_name', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('sudo', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('enrollment_id', 'text')
      .addColumn('created', 'text', (c) => c.notNull())
      .addUniqueConstraint('ssh_installs_host', ['host'])
      .execute();
  },
};
