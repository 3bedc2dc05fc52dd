import type { Kysely, Migration } from 'kysely';
import { portableTypes } from '../dialect.js';

/**
 * Durable orchestration: workflows and their step results, machines and their agents, script
 * executions with their output records, activity entries and idempotency keys.
 *
 * - `workflows.open_for` holds the instance id while a workflow is pending or running and NULL
 *   once it ends; its unique constraint allows one open workflow per instance.
 * - `step_results` has one row per completed step (primary key `(workflow_id, step)`), written in
 *   the same transaction that advances `workflows.next_step`.
 * - `executions.id` is deterministic per `(workflow, step)`; `execution_records` keeps each
 *   `(execution_id, seq)` once.
 */
export const workflows: Migration = {
  async up(db: Kysely<unknown>) {
    const t = portableTypes(db);
    await db.schema
      .createTable('workflows')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('open_for', 'text', (c) => c.unique())
      .addColumn('plan', 'text', (c) => c.notNull())
      .addColumn('next_step', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires', t.int64, (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('updated', 'text', (c) => c.notNull())
      .addColumn('finished', 'text')
      .execute();
    await db.schema.createIndex('workflows_runnable').on('workflows').columns(['state', 'lease_expires']).execute();
    await db.schema.createIndex('workflows_instance').on('workflows').columns(['instance_id', 'created']).execute();

    await db.schema
      .createTable('step_results')
      .addColumn('workflow_id', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('step_results_pk', ['workflow_id', 'step'])
      .execute();

    await db.schema
      .createTable('machines')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.unique())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('agent_pid', 'integer')
      .addColumn('agent_version', 'text')
      .addColumn('connected', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('connections', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_agent_ping', 'text')
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('updated', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('machines_instance').on('machines').column('instance_id').execute();

    await db.schema
      .createTable('executions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workflow_id', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('machine', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('box_name', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('activity_id', t.int64)
      .addColumn('status', 'text')
      .addColumn('exit_code', 'integer')
      .addColumn('message', 'text')
      .addColumn('truncated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_seq', 'integer')
      .addColumn('stored_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('stored_bytes', t.int64, (c) => c.notNull().defaultTo(0))
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('finished', 'text')
      .execute();
    await db.schema.createIndex('executions_machine').on('executions').columns(['machine', 'status']).execute();
    await db.schema.createIndex('executions_instance').on('executions').columns(['instance_id', 'created']).execute();

    await db.schema
      .createTable('execution_records')
      .addColumn('execution_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('stream', 'text')
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('partial', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('execution_records_pk', ['execution_id', 'seq'])
      .execute();

    await db.schema
      .createTable('activities')
      .addColumn('id', t.autoId, t.autoIdColumn)
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('workflow_id', 'text')
      .addColumn('workspace', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('box', 'text')
      .addColumn('machine', 'text')
      .addColumn('event', 'text')
      .addColumn('exit_code', 'integer')
      .addColumn('finished', 'text')
      .addColumn('username', 'text')
      .addColumn('request_id', 'text')
      .addColumn('created', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('activities_instance').on('activities').columns(['instance_id', 'id']).execute();

    await db.schema
      .createTable('idempotency_keys')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('body_hash', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('response', 'text')
      .addColumn('content_type', 'text')
      .addColumn('created', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
      .execute();
  },
};
