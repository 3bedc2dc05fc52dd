import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanRead, assertCanWrite, userOf } from '../auth/access.js';
import type { ServerContext } from '../context.js';
import { documentArrayText, parseDoc, schemaUrl } from '../store/docs.js';
import { badRequest, alreadyExists, conflict, forbidden, notFound } from '../http/errors.js';
import { announceMembershipRevoked } from '../events/membership-watch.js';
import { IdsQuery, errors, parseIds, served } from '../http/schemas.js';
import { CreateWorkspace, UpdateWorkspace, WorkspaceParams } from './schemas.js';
import { listBoxes } from '../boxes/store.js';
import { listInstanceTexts, type InstanceDoc } from '../instances/store.js';
import { listProviders } from '../providers/store.js';
import {
  deleteWorkspace,
  getWorkspace,
  listWorkspacesFor,
  ownedCounts,
  saveTeamWorkspace,
  updatePersonalWorkspace,
  type WorkspaceDoc,
} from './store.js';
import { timestamp } from '../../shared/time.js';
import type { Db } from '../store/db.js';
import { WorkspaceDocSchema } from '../../shared/documents/workspaces.js';
import { BoxDocSchema } from '../../shared/documents/boxes.js';
import { InstanceDocSchema } from '../../shared/documents/instances.js';
import { ProviderDocSchema } from '../../shared/documents/providers.js';

/** "Project Elastic" → `project`; a taken id gets `-2`, `-3`, … */
async function teamId(db: Db, name: string): Promise<string> {
  const base = (name.toLowerCase().match(/[a-z0-9]+/)?.[0] ?? 'team').slice(0, 32);
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!(await getWorkspace(db, id))) return id;
  }
}

type Member = { role: 'read' | 'collaborator'; workspace: string };

/**
 * The member list with repeats merged: the same user listed twice with the same role counts once;
 * listed with two different roles it is ambiguous and refused with 400 (never a 500 from the
 * membership table's primary key).
 */
export function mergeMembers(members: Member[] | undefined): Member[] | undefined {
  if (!members) return undefined;
  const byWorkspace = new Map<string, Member>();
  for (const m of members) {
    const seen = byWorkspace.get(m.workspace);
    if (!seen) byWorkspace.set(m.workspace, m);
    else if (seen.role !== m.role) {
      throw badRequest(`members: ${m.workspace} is listed twice, as ${seen.role} and as ${m.role}`);
    }
  }
  return [...byWorkspace.values()];
}

async function checkMembers(db: Db, members: { workspace: string }[] | undefined): Promise<void> {
  for (const m of members ?? []) {
    const ws = await getWorkspace(db, m.workspace);
    if (!ws || ws.kind !== 'personal' || ws.doc.deleted) {
      throw badRequest(`members: ${m.workspace} is not a user's workspace`);
    }
  }
}

async function existingWorkspace(db: Db, id: string) {
  const ws = await getWorkspace(db, id);
  if (!ws) throw notFound('Workspace', id);
  return ws;
}

export async function workspaceRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['workspaces'];
  const user = { auth: 'user' as const };

  api.get(
    '/services/workspaces',
    {
      config: user,
      schema: { tags, querystring: IdsQuery, response: { 200: Type.Array(served(WorkspaceDocSchema)) } },
    },
    async (req) => {
      const all = await listWorkspacesFor(db, userOf(req).id, parseIds(req.query.ids));
      return req.query.limit ? all.slice(0, Number(req.query.limit)) : all;
    },
  );

  api.post(
    '/services/workspaces',
    {
      config: user,
      schema: { tags, body: CreateWorkspace, response: { 200: served(WorkspaceDocSchema), ...errors(400, 403, 409) } },
    },
    async (req) => {
      const me = userOf(req);
      const body = req.body;
      const owner = body.owner ?? me.id;
      if (owner !== me.id) throw forbidden('A team workspace can only be created with yourself as owner');
      const members = mergeMembers(body.members);
      await checkMembers(db, members);
      const now = timestamp();
      return db.transaction().execute(async (trx) => {
        const clash = await trx
          .selectFrom('workspaces')
          .select('id')
          .where('owner', '=', owner)
          .where('name', '=', body.name)
          .executeTakeFirst();
        if (clash) throw alreadyExists(`A workspace named '${body.name}' already exists (${clash.id})`);
        const id = await teamId(trx as unknown as Db, body.name);
        const doc = {
          id,
          name: body.name,
          owner,
          organizations: body.organizations ?? ['public'],
          members: members ?? [],
          ldap_groups: body.ldap_groups ?? [],
          uri: `/services/workspaces/${id}`,
          schema: schemaUrl('workspaces/team'),
          created: now,
          updated: now,
          deleted: null,
        };
        await saveTeamWorkspace(trx, doc, true);
        return doc;
      });
    },
  );

  api.get(
    '/services/workspaces/:ws',
    {
      config: user,
      schema: { tags, params: WorkspaceParams, response: { 200: served(WorkspaceDocSchema), ...errors(403, 404) } },
    },
    async (req) => {
      const ws = await existingWorkspace(db, req.params.ws);
      await assertCanRead(db, userOf(req), ws.id);
      return ws.doc;
    },
  );

  api.put(
    '/services/workspaces/:ws',
    {
      config: user,
      schema: {
        tags,
        params: WorkspaceParams,
        body: UpdateWorkspace,
        response: { 200: served(WorkspaceDocSchema), ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const ws = await existingWorkspace(db, req.params.ws);
      const role = await assertCanWrite(db, me, ws.id);
      const body = req.body;
      const doc: WorkspaceDoc = { ...ws.doc, updated: timestamp() };
      if (body.name !== undefined) doc.name = body.name;
      if (body.icon !== undefined) doc.icon = body.icon;
      if (ws.kind === 'personal') {
        if (body.take_tour !== undefined) doc.take_tour = body.take_tour;
        await updatePersonalWorkspace(db, doc);
        return doc;
      }
      const members = mergeMembers(body.members);
      if (members !== undefined && JSON.stringify(members) !== JSON.stringify(ws.doc.members)) {
        if (role !== 'owner') throw forbidden('Only the owner can change the members of a workspace');
        await checkMembers(db, members);
        doc.members = members;
      }
      if (body.ldap_groups !== undefined) doc.ldap_groups = body.ldap_groups;
      await db.transaction().execute((trx) => saveTeamWorkspace(trx, doc as WorkspaceDoc & { owner: string }, false));
      if (doc.members !== ws.doc.members) announceMembershipRevoked(ctx.bus, ws.id);
      return doc;
    },
  );

  api.delete(
    '/services/workspaces/:ws',
    { config: user, schema: { tags, params: WorkspaceParams, response: { ...errors(403, 404, 409) } } },
    async (req, reply) => {
      const me = userOf(req);
      const ws = await existingWorkspace(db, req.params.ws);
      const role = await assertCanRead(db, me, ws.id);
      if (ws.kind === 'personal') throw forbidden('A personal workspace cannot be deleted');
      if (role !== 'owner') throw forbidden('Only the owner can delete a workspace');
      await db.transaction().execute(async (trx) => {
        const owned = await ownedCounts(trx, ws.id);
        const held = Object.entries(owned).filter(([, n]) => n > 0);
        if (held.length)
          throw conflict(`Workspace ${ws.id} still owns ${held.map(([k, n]) => `${n} ${k}`).join(', ')}`);
        await deleteWorkspace(trx, ws.id);
      });
      announceMembershipRevoked(ctx.bus, ws.id);
      return reply.code(204).send();
    },
  );

  const scoped = async (wsId: string, me: ReturnType<typeof userOf>) => {
    const ws = await existingWorkspace(db, wsId);
    await assertCanRead(db, me, ws.id);
    return ws.id;
  };

  api.get(
    '/services/workspaces/:ws/boxes',
    {
      config: user,
      schema: {
        tags,
        params: WorkspaceParams,
        response: { 200: Type.Array(served(BoxDocSchema)), ...errors(403, 404) },
      },
    },
    async (req) => listBoxes(db, [await scoped(req.params.ws, userOf(req))]),
  );
  api.get(
    '/services/workspaces/:ws/instances',
    {
      config: user,
      schema: {
        tags,
        params: WorkspaceParams,
        querystring: Type.Intersect([
          IdsQuery,
          Type.Object({ service: Type.Optional(Type.String({ maxLength: 64 })) }),
        ]),
        response: { 200: Type.Array(served(InstanceDocSchema)), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      const texts = await listInstanceTexts(db, [await scoped(req.params.ws, userOf(req))], parseIds(req.query.ids));
      const service = req.query.service;
      // Without a filter, the stored text as it is: the same documents the response schema would write (docs.ts).
      const spliced = service ? undefined : documentArrayText(texts);
      if (spliced !== undefined) return reply.type('application/json; charset=utf-8').send(spliced as never);
      const all = texts.map((text) => parseDoc<InstanceDoc>(text));
      return service ? all.filter((i) => (i.service as { id?: string } | undefined)?.id === service) : all;
    },
  );
  api.get(
    '/services/workspaces/:ws/providers',
    {
      config: user,
      schema: {
        tags,
        params: WorkspaceParams,
        response: { 200: Type.Array(served(ProviderDocSchema)), ...errors(403, 404) },
      },
    },
    async (req) => listProviders(db, [await scoped(req.params.ws, userOf(req))]),
  );
}
