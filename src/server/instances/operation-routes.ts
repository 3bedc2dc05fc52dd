import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanWrite, userOf } from '../auth/access.js';
import type { ServerContext } from '../context.js';
import { readableInstance } from '../auth/resource-access.js';
import { failpoint } from '../failpoints.js';
import { errors, served } from '../http/schemas.js';
import { InstanceParams, VariableOverride } from './schemas.js';
import { pullInstance } from './pull.js';
import { beginOperation } from '../workflows/begin.js';
import { bindingsView } from '../workflows/bindings.js';
import { recordAnswer } from '../workflows/idempotency.js';
import type { Operation } from '../workflows/types.js';
import { activityView, machineLogsView, operationsView, serviceView } from '../workflows/views.js';
import { announceWorkflow } from '../workflows/worker.js';
import {
  ActivitySchema,
  OperationRecordSchema,
  PullAnswerSchema,
  ServiceDocSchema,
} from '../../shared/documents/instances.js';

const PUT_OPERATIONS = ['reconfigure', 'reinstall', 'poweron', 'shutdown'] as const;
const DELETE_OPERATIONS = ['terminate', 'force_terminate', 'delete'] as const;

const PullBodySchema = Type.Object(
  {
    box_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    variables: Type.Optional(Type.Array(VariableOverride, { maxItems: 1000 })),
  },
  { additionalProperties: true },
);
const OperationAnswer = Type.Object({ id: Type.String(), method: Type.String() });
const BindingsAnswer = Type.Array(
  Type.Object({ name: Type.String(), scope: Type.String(), instances: Type.Array(Type.String()) }),
);
const OperationFilter = Type.Object(
  { operation: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' })) },
  { additionalProperties: true },
);
const DeleteQuery = Type.Object(
  { operation: Type.Optional(Type.Union(DELETE_OPERATIONS.map((o) => Type.Literal(o)))) },
  { additionalProperties: true },
);
const Name = Type.String({ minLength: 1, maxLength: 256 });
const LogsQuery = Type.Object(
  {
    machine_name: Name,
    box: Type.Optional(Name),
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    operation: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: true },
);

/**
 * Starts an operation on an instance and answers `{id, method}` with 202 at once; the workflow runs
 * in the worker. The instance is `processing` with its new `operation` and `updated` before the reply.
 */
export async function startOperation(
  ctx: ServerContext,
  req: FastifyRequest,
  id: string,
  operation: Operation,
  method: string = operation,
) {
  const me = userOf(req);
  const answer = { id, method };
  const begun = await ctx.db.transaction().execute(async (trx) => {
    const doc = await readableInstance(trx, me, id);
    await assertCanWrite(trx, me, doc.owner);
    const started = await beginOperation(trx, doc, operation, { username: me.id, requestId: req.id });
    await recordAnswer(trx, req, 202, answer);
    return started;
  });
  await failpoint('after-commit-before-reply');
  ctx.bus.committed(begun.workspace);
  if (begun.cancelled) await req.server.orchestration.stopCancelled(begun.cancelled, begun.workflowId);
  announceWorkflow(ctx.bus);
  return answer;
}

/** Instance operations (PUT …/{op}, DELETE) and their records (activity, operations, logs, service). */
export async function instanceOperationRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['instances'];
  const config = { auth: 'user' as const };
  const params = InstanceParams;

  for (const op of PUT_OPERATIONS) {
    api.put(
      `/services/instances/:inst/${op}`,
      { config, schema: { tags, params, response: { 202: OperationAnswer, ...errors(400, 403, 404, 409) } } },
      async (req, reply) => reply.code(202).send(await startOperation(ctx, req, req.params.inst, op)),
    );
  }

  // Full redeploy: install, bindings, configure and start again on the instance's machine.
  api.put(
    '/services/instances/:inst/deploy',
    { config, schema: { tags, params, response: { 202: OperationAnswer, ...errors(400, 403, 404, 409) } } },
    async (req, reply) => reply.code(202).send(await startOperation(ctx, req, req.params.inst, 'redeploy', 'deploy')),
  );

  // Pull: another version of the box (and optionally new variables), then what the change requires.
  api.put(
    '/services/instances/:inst/pull',
    {
      config,
      schema: {
        tags,
        params,
        body: PullBodySchema,
        response: { 202: PullAnswerSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const me = userOf(req);
      const { answer, workspace } = await ctx.db.transaction().execute(async (trx) => {
        const doc = await readableInstance(trx, me, req.params.inst);
        await assertCanWrite(trx, me, doc.owner);
        const pulled = await pullInstance(trx, me, doc, req.body ?? {}, req.id);
        await recordAnswer(trx, req, 202, pulled.answer);
        return pulled;
      });
      await failpoint('after-commit-before-reply');
      if (workspace) {
        ctx.bus.committed(workspace);
        announceWorkflow(ctx.bus);
      }
      return reply.code(202).send(answer);
    },
  );

  // `/binding_instances` is the older name of `/bindings` (cam-api.md §2.4).
  for (const path of ['bindings', 'binding_instances']) {
    api.get(
      `/services/instances/:inst/${path}`,
      { config, schema: { tags, params, response: { 200: BindingsAnswer, ...errors(400, 403, 404) } } },
      async (req) => bindingsView(await readableInstance(db, userOf(req), req.params.inst)),
    );
  }

  api.delete(
    '/services/instances/:inst',
    {
      config,
      schema: {
        tags,
        params,
        querystring: DeleteQuery,
        response: { 202: OperationAnswer, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const op = req.query.operation ?? 'terminate';
      return reply.code(202).send(await startOperation(ctx, req, req.params.inst, op));
    },
  );

  api.get(
    '/services/instances/:inst/activity',
    {
      config,
      schema: {
        tags,
        params,
        querystring: OperationFilter,
        response: { 200: Type.Array(served(ActivitySchema)), ...errors(403, 404) },
      },
    },
    async (req) => activityView(db, await readableInstance(db, userOf(req), req.params.inst), req.query.operation),
  );

  api.get(
    '/services/instances/:inst/operations',
    {
      config,
      schema: { tags, params, response: { 200: Type.Array(served(OperationRecordSchema)), ...errors(403, 404) } },
    },
    async (req) => operationsView(db, await readableInstance(db, userOf(req), req.params.inst)),
  );

  api.get(
    '/services/instances/:inst/service',
    { config, schema: { tags, params, response: { 200: served(ServiceDocSchema), ...errors(403, 404) } } },
    async (req) => serviceView(db, await readableInstance(db, userOf(req), req.params.inst)),
  );

  api.get(
    '/services/instances/:inst/machine_logs',
    {
      config,
      schema: { tags, params, querystring: LogsQuery, response: { 200: Type.String(), ...errors(400, 403, 404) } },
    },
    async (req, reply) => {
      const doc = await readableInstance(db, userOf(req), req.params.inst);
      const q = req.query;
      const text = await machineLogsView(db, doc, {
        machine: q.machine_name,
        box: q.box,
        event: q.event,
        operation: q.operation,
      });
      return reply.type('text/plain; charset=utf-8').send(text);
    },
  );
}
