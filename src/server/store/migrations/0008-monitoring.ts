import type { Kysely, Migration } from 'kysely';
import { portableTypes } from '../dialect.js';

/**
 * Monitoring (issue 14, MSA): the checks repository (`checks`, every version in `check_versions`),
 * the state of each (machine, check) pair, the alerts those states open and resolve, and metric
 * samples: raw rows kept for a configurable time, minute and hour roll-ups kept longer.
 *
 * - `check_states.history` is a JSON array of the last statuses (flap detection).
 * - `metric_samples.ts` and roll-up `bucket`s are epoch milliseconds.
 * - `monitoring_marks` holds the roll-up watermarks (`rollup.minute`, `rollup.hour`).
 * - `watchers`: one per enrolled Watcher: its public key (base64 SPKI), its password's hash, the
 *   last seq accepted from it, the emission number of the last result stored (a result sent again
 *   after a lost ack is not stored twice), and its NL-6 ledger (accepted and rejected results
 *   counted here, emitted and dropped as it last reported them).
 */
export const monitoring: Migration = {
  async up(db: Kysely<unknown>) {
    // Epoch-millisecond times are 64-bit, values 8-byte floats, on both engines.
    const t = portableTypes(db);
    await db.schema
      .createTable('checks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('updated', 'text', (c) => c.notNull())
      .addUniqueConstraint('checks_name', ['workspace', 'name'])
      .execute();
    await db.schema
      .createTable('check_versions')
      .addColumn('check_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('check_versions_pk', ['check_id', 'version'])
      .execute();
    await db.schema
      .createTable('check_states')
      .addColumn('machine', 'text', (c) => c.notNull())
      .addColumn('check_id', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('occurrences', 'integer', (c) => c.notNull())
      .addColumn('history', 'text', (c) => c.notNull())
      .addColumn('flapping', 'integer', (c) => c.notNull())
      .addColumn('output', 'text', (c) => c.notNull())
      .addColumn('executed', 'text', (c) => c.notNull())
      .addColumn('silenced_until', 'text')
      .addColumn('silenced_by', 'text')
      .addColumn('updated', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('check_states_pk', ['machine', 'check_id'])
      .execute();
    await db.schema.createIndex('check_states_instance').on('check_states').column('instance_id').execute();
    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('machine', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('check_id', 'text', (c) => c.notNull())
      .addColumn('check_name', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('severity', 'integer', (c) => c.notNull())
      .addColumn('occurrences', 'integer', (c) => c.notNull())
      .addColumn('flapping', 'integer', (c) => c.notNull())
      .addColumn('silenced', 'integer', (c) => c.notNull())
      .addColumn('output', 'text', (c) => c.notNull())
      .addColumn('acked_by', 'text')
      .addColumn('acked_at', 'text')
      .addColumn('opened', 'text', (c) => c.notNull())
      .addColumn('resolved', 'text')
      .addColumn('updated', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alerts_workspace').on('alerts').columns(['workspace', 'state']).execute();
    await db.schema.createIndex('alerts_pair').on('alerts').columns(['machine', 'check_id', 'state']).execute();
    await db.schema
      .createTable('metric_samples')
      .addColumn('machine', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('ts', t.int64, (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('metric_samples_series')
      .on('metric_samples')
      .columns(['machine', 'metric', 'ts'])
      .execute();
    await db.schema.createIndex('metric_samples_ts').on('metric_samples').column('ts').execute();
    for (const table of ['metric_minute', 'metric_hour']) {
      await db.schema
        .createTable(table)
        .addColumn('machine', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('bucket', t.int64, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('sum', 'double precision', (c) => c.notNull())
        .addColumn('min', 'double precision', (c) => c.notNull())
        .addColumn('max', 'double precision', (c) => c.notNull())
        .addColumn('last', 'double precision', (c) => c.notNull())
        .addColumn('p95', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ['machine', 'metric', 'bucket'])
        .execute();
    }
    await db.schema
      .createTable('watchers')
      .addColumn('username', 'text', (c) => c.primaryKey())
      .addColumn('machine', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('last_seq', t.int64, (c) => c.notNull())
      .addColumn('last_result', t.int64, (c) => c.notNull())
      .addColumn('accepted', t.int64, (c) => c.notNull())
      .addColumn('rejected', t.int64, (c) => c.notNull())
      .addColumn('emitted', t.int64, (c) => c.notNull())
      .addColumn('dropped', t.int64, (c) => c.notNull())
      .addColumn('last_seen', t.int64)
      .addColumn('revoked', 'integer', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('watchers_machine').on('watchers').column('machine').execute();
    await db.schema
      .createTable('monitoring_marks')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', t.int64, (c) => c.notNull())
      .execute();
  },
};
