import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanRead, assertCanWrite, memberWorkspaces, userOf } from '../auth/access.js';
import type { AuthUser, ServerContext } from '../context.js';
import { schemaUrl } from '../store/docs.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { errors } from '../http/schemas.js';
import type { Db } from '../store/db.js';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import { CheckSpec, checkSpecProblem, type CheckDoc } from '../../shared/monitoring/checks.js';
import {
  checkVersions,
  deleteCheck,
  findCheckByName,
  getCheck,
  insertCheck,
  listChecks,
  updateCheck,
} from './checks-store.js';
import { ChecksQuery, CheckParams } from './schemas.js';
import { CheckDocSchema } from '../../shared/monitoring/msa-docs.js';
import type { WatcherHub } from './watcher-hub.js';

const CreateCheck = Type.Object(
  { ...CheckSpec.properties, owner: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  { additionalProperties: false },
);

function validateSpec(spec: CheckSpec): void {
  const problem = checkSpecProblem(spec, 'body');
  if (problem) throw badRequest(problem);
}

/** A check by id, or by name in one of the user's workspaces; 404 when the user may not read it. */
export async function readableCheck(db: Db, user: AuthUser, ref: string): Promise<CheckDoc> {
  const byId = await getCheck(db, ref);
  if (byId) {
    await assertCanRead(db, user, byId.owner).catch(() => {
      throw notFound('Check', ref);
    });
    return byId;
  }
  for (const ws of await memberWorkspaces(db, user.id)) {
    const byName = await findCheckByName(db, ws, ref);
    if (byName) return byName;
  }
  throw notFound('Check', ref);
}

/** `/services/msa/checks`: the checks repository (versioned definitions). */
export async function checkRoutes(app: FastifyInstance, ctx: ServerContext, watchers: WatcherHub): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['msa'];
  const user = { auth: 'user' as const };

  api.get(
    '/services/msa/checks',
    {
      config: user,
      schema: { tags, querystring: ChecksQuery, response: { 200: Type.Array(CheckDocSchema), ...errors(403) } },
    },
    async (req) => {
      const me = userOf(req);
      if (req.query.workspace) {
        await assertCanRead(db, me, req.query.workspace);
        return listChecks(db, [req.query.workspace]);
      }
      return listChecks(db, await memberWorkspaces(db, me.id));
    },
  );

  api.post(
    '/services/msa/checks',
    { config: user, schema: { tags, body: CreateCheck, response: { 201: CheckDocSchema, ...errors(400, 403, 409) } } },
    async (req, reply) => {
      const me = userOf(req);
      const { owner: ownerField, ...spec } = req.body;
      const owner = ownerField ?? me.id;
      await assertCanWrite(db, me, owner);
      validateSpec(spec);
      if (await findCheckByName(db, owner, spec.name)) {
        throw conflict(`A check named ${spec.name} already exists in workspace ${owner}`);
      }
      const id = newUuid();
      const now = timestamp();
      const doc: CheckDoc = {
        ...spec,
        id,
        uri: `/services/msa/checks/${id}`,
        schema: schemaUrl('check'),
        owner,
        version: 1,
        created: now,
        updated: now,
      };
      await db.transaction().execute((trx) => insertCheck(trx, doc));
      await watchers.refresh(owner);
      return reply.code(201).send(doc);
    },
  );

  api.get(
    '/services/msa/checks/:check',
    { config: user, schema: { tags, params: CheckParams, response: { 200: CheckDocSchema, ...errors(404) } } },
    async (req) => readableCheck(db, userOf(req), req.params.check),
  );

  api.get(
    '/services/msa/checks/:check/versions',
    {
      config: user,
      schema: { tags, params: CheckParams, response: { 200: Type.Array(CheckDocSchema), ...errors(404) } },
    },
    async (req) => checkVersions(db, (await readableCheck(db, userOf(req), req.params.check)).id),
  );

  api.put(
    '/services/msa/checks/:check',
    {
      config: user,
      schema: {
        tags,
        params: CheckParams,
        body: CheckSpec,
        response: { 200: CheckDocSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const current = await readableCheck(db, me, req.params.check);
      await assertCanWrite(db, me, current.owner);
      validateSpec(req.body);
      const clash = await findCheckByName(db, current.owner, req.body.name);
      if (clash && clash.id !== current.id)
        throw conflict(`A check named ${req.body.name} already exists in workspace ${current.owner}`);
      const doc: CheckDoc = {
        ...req.body,
        id: current.id,
        uri: current.uri,
        schema: current.schema,
        owner: current.owner,
        version: current.version + 1,
        created: current.created,
        updated: timestamp(),
      };
      await db.transaction().execute((trx) => updateCheck(trx, doc));
      await watchers.refresh(doc.owner);
      return doc;
    },
  );

  api.delete(
    '/services/msa/checks/:check',
    { config: user, schema: { tags, params: CheckParams, response: errors(403, 404) } },
    async (req, reply) => {
      const me = userOf(req);
      const current = await readableCheck(db, me, req.params.check);
      await assertCanWrite(db, me, current.owner);
      await db.transaction().execute((trx) => deleteCheck(trx, current.id));
      await watchers.refresh(current.owner);
      return reply.code(204).send();
    },
  );
}
