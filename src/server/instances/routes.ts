import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanWrite, memberWorkspaces, userOf } from '../auth/access.js';
import type { ServerContext } from '../context.js';
import { applicationDeploys, isApplicationRequest } from './application-deploy.js';
import { applyInstanceUpdate, planDeploy } from './deploy-request.js';
import { readableInstance } from '../auth/resource-access.js';
import { IdsQuery, errors, parseIds, served } from '../http/schemas.js';
import {
  DeployRequest,
  InstanceParams,
  InstancesPost,
  REGISTER_INSTANCE_REQUEST,
  UpdateInstance,
  type DeployRequestBody,
  type RegisterInstanceBody,
} from './schemas.js';
import { schemaName } from '../store/docs.js';
import { serveMachine } from '../machines/routes.js';
import { registerOverSsh } from '../machines/ssh/register-over-ssh.js';
import { appendEvents, type NewEvent } from '../events/log.js';
import { failpoint } from '../failpoints.js';
import { insertInstance, listInstanceTexts, lockInstance, updateInstance, type InstanceDoc } from './store.js';
import { documentArrayText, parseDoc } from '../store/docs.js';
import { membershipChanged } from '../workflows/auto-reconfigure.js';
import { beginOperation } from '../workflows/begin.js';
import { recordAnswer } from '../workflows/idempotency.js';
import { announceWorkflow } from '../workflows/worker.js';
import { InstanceDocSchema } from '../../shared/documents/instances.js';
import { RegisteredMachineSchema } from '../../shared/documents/machines.js';

/** A register-instance-request answers the registered machine (as `GET /services/machines/{id}`). */

/** A deploy answers one instance; a deploy of an application box, the array of its instances. */
const OneOrMany = Type.Union([served(InstanceDocSchema), Type.Array(served(InstanceDocSchema))]);

const sameList = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** Whether an update changed what decides binding membership: the tags or the sharing. */
const sharingChanged = (before: InstanceDoc, after: InstanceDoc): boolean =>
  !sameList(
    [...((before.tags as string[] | undefined) ?? [])].sort(),
    [...((after.tags as string[] | undefined) ?? [])].sort(),
  ) || !sameList(before.members, after.members);

export async function instanceRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['instances'];
  const user = { auth: 'user' as const };

  api.get(
    '/services/instances',
    { config: user, schema: { tags, querystring: IdsQuery, response: { 200: Type.Array(served(InstanceDocSchema)) } } },
    async (req, reply) => {
      const texts = await listInstanceTexts(db, await memberWorkspaces(db, userOf(req).id), parseIds(req.query.ids));
      // The stored text as it is, the same documents the response schema would write (docs.ts): a
      // string with a JSON content type is sent without serialisation.
      const spliced = documentArrayText(texts);
      if (spliced !== undefined) return reply.type('application/json; charset=utf-8').send(spliced as never);
      return texts.map((text) => parseDoc<InstanceDoc>(text));
    },
  );

  api.post(
    '/services/instances',
    {
      config: user,
      schema: {
        tags,
        body: InstancesPost,
        response: { 201: RegisteredMachineSchema, 202: OneOrMany, ...errors(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const me = userOf(req);
      if (schemaName(req.body.schema) === REGISTER_INSTANCE_REQUEST) {
        // An existing Linux machine, over ssh: it joins the workspace's registered machines.
        const machine = await registerOverSsh(ctx, me, req.body as RegisterInstanceBody);
        return reply.code(201).send(serveMachine(machine));
      }
      const body = req.body as DeployRequestBody;
      if (isApplicationRequest(body.schema)) {
        // One instance per service of the application box, all or none; the answer is the array.
        const docs = await db.transaction().execute(async (trx) => {
          const out: InstanceDoc[] = [];
          for (const { request, extra } of await applicationDeploys(trx, me, body)) {
            const plan = await planDeploy(trx, me, request, extra);
            await insertInstance(trx, plan.doc, plan.providerId);
            await beginOperation(trx, plan.doc, 'deploy', { username: me.id, requestId: req.id });
            out.push(plan.doc);
          }
          await recordAnswer(trx, req, 202, out);
          return out;
        });
        await failpoint('after-commit-before-reply');
        for (const owner of new Set(docs.map((d) => d.owner))) ctx.bus.committed(owner);
        announceWorkflow(ctx.bus);
        return reply.code(202).send(docs);
      }
      const doc = await db.transaction().execute(async (trx) => {
        const plan = await planDeploy(trx, me, body);
        await insertInstance(trx, plan.doc, plan.providerId);
        await beginOperation(trx, plan.doc, 'deploy', { username: me.id, requestId: req.id });
        await recordAnswer(trx, req, 202, plan.doc);
        return plan.doc;
      });
      await failpoint('after-commit-before-reply');
      ctx.bus.committed(doc.owner);
      announceWorkflow(ctx.bus);
      return reply.code(202).send(doc);
    },
  );

  api.post(
    '/services/instances/dryrun',
    {
      config: user,
      schema: { tags, body: DeployRequest, response: { 200: OneOrMany, ...errors(400, 403, 409) } },
    },
    async (req) => {
      const me = userOf(req);
      if (!isApplicationRequest(req.body.schema)) return (await planDeploy(db, me, req.body)).doc;
      // Each service is checked on its own: nothing is stored, so names are not checked across them.
      const deploys = await applicationDeploys(db, me, req.body);
      const docs: InstanceDoc[] = [];
      for (const { request, extra } of deploys) docs.push((await planDeploy(db, me, request, extra)).doc);
      return docs;
    },
  );

  api.get(
    '/services/instances/:inst',
    {
      config: user,
      schema: { tags, params: InstanceParams, response: { 200: served(InstanceDocSchema), ...errors(400, 403, 404) } },
    },
    async (req) => readableInstance(db, userOf(req), req.params.inst),
  );

  api.put(
    '/services/instances/:inst',
    {
      config: user,
      schema: {
        tags,
        params: InstanceParams,
        body: UpdateInstance,
        response: { 200: served(InstanceDocSchema), ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const events: NewEvent[] = [];
      let started = 0;
      const doc = await db.transaction().execute(async (trx) => {
        // Read for a change: a workflow step or an agent's `elasticbox set` waits, and is not overwritten.
        await lockInstance(trx, req.params.inst);
        const current = await readableInstance(trx, me, req.params.inst);
        await assertCanWrite(trx, me, current.owner);
        const next = await applyInstanceUpdate(trx, me, current, req.body);
        await updateInstance(trx, next);
        // New tags or sharing change who binds to this instance (cam-api.md §4.3); variables do not.
        if (sharingChanged(current, next)) started = await membershipChanged(trx, next.id, events);
        if (events.length) await appendEvents(trx, events);
        return next;
      });
      for (const workspace of new Set(events.map((e) => e.workspace))) ctx.bus.committed(workspace);
      if (started) announceWorkflow(ctx.bus);
      return doc;
    },
  );
}
