import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Transaction } from 'kysely';
import { assertCanRead, userOf, type Role } from '../auth/access.js';
import type { AuthUser, ServerContext } from '../context.js';
import { badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import { announceMembershipRevoked } from '../events/membership-watch.js';
import { errors } from '../http/schemas.js';
import { WorkspaceParams } from './schemas.js';
import { AddMember, ChangeMember, MemberDoc, MemberParams } from './user-schemas.js';
import type { Db } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';
import type { Database } from '../store/schema.js';
import { getWorkspace, saveTeamWorkspace, type WorkspaceDoc } from './store.js';
import { timestamp } from '../../shared/time.js';

/** The roles a member can be given (cam-api.md §2.2); the owner is the workspace's `owner`. */
export const MEMBER_ROLES = ['collaborator', 'read'] as const;
type MemberRole = (typeof MEMBER_ROLES)[number];

function checkedRole(role: string): MemberRole {
  if (!(MEMBER_ROLES as readonly string[]).includes(role)) {
    throw badRequest(`role: ${role} is not a role; use ${MEMBER_ROLES.join(' or ')}`);
  }
  return role as MemberRole;
}

/** Every member with its role, the owner first: the membership rows that access checks read. */
async function membersOf(db: Db | Transaction<Database>, wsId: string) {
  const rows = await db
    .selectFrom('memberships')
    .select(['member', 'role'])
    .where('workspace_id', '=', wsId)
    .orderBy('member')
    .execute();
  const rank = (r: Role) => (r === 'owner' ? 0 : 1);
  return rows.sort((a, b) => rank(a.role) - rank(b.role)).map((r) => ({ workspace: r.member, role: r.role }));
}

/**
 * A team workspace the caller owns, read for a change (locked on PostgreSQL, so two concurrent
 * member changes apply one after the other).
 */
async function ownedTeam(trx: Transaction<Database>, me: AuthUser, wsId: string) {
  let q = trx.selectFrom('workspaces').select('id').where('id', '=', wsId);
  if (isPostgres(trx)) q = q.forUpdate();
  if (!(await q.executeTakeFirst())) throw notFound('Workspace', wsId);
  const ws = (await getWorkspace(trx, wsId))!;
  const role = await assertCanRead(trx as unknown as Db, me, wsId);
  if (ws.kind !== 'team') throw badRequest(`${wsId} is a personal workspace; members belong to team workspaces`);
  if (role !== 'owner') throw forbidden('Only the owner can change the members of a workspace');
  return ws.doc as WorkspaceDoc & { owner: string };
}

/** Members of a workspace as their own resource: list, add one, change one's role, remove one (design choice). */
export async function workspaceMemberRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['workspaces'];
  const user = { auth: 'user' as const };
  const MemberList = Type.Array(MemberDoc);

  api.get(
    '/services/workspaces/:ws/members',
    { config: user, schema: { tags, params: WorkspaceParams, response: { 200: MemberList, ...errors(403, 404) } } },
    async (req) => {
      if (!(await getWorkspace(db, req.params.ws))) throw notFound('Workspace', req.params.ws);
      await assertCanRead(db, userOf(req), req.params.ws);
      return membersOf(db, req.params.ws);
    },
  );

  api.post(
    '/services/workspaces/:ws/members',
    {
      config: user,
      schema: {
        tags,
        params: WorkspaceParams,
        body: AddMember,
        response: { 200: MemberList, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const member = req.body.workspace;
      const role = checkedRole(req.body.role ?? 'collaborator');
      return db.transaction().execute(async (trx) => {
        const doc = await ownedTeam(trx, me, req.params.ws);
        const target = await trx.selectFrom('users').select('id').where('id', '=', member).executeTakeFirst();
        if (!target) throw notFound('User', member);
        if (member === doc.owner) throw conflict(`${member} owns workspace ${doc.id}`);
        const existing = (doc.members ?? []).find((m) => m.workspace === member);
        if (existing) throw conflict(`${member} is already a member of ${doc.id} (${existing.role})`);
        const members = [...(doc.members ?? []), { role, workspace: member }];
        await saveTeamWorkspace(trx, { ...doc, members, updated: timestamp() }, false);
        return membersOf(trx, doc.id);
      });
    },
  );

  api.put(
    '/services/workspaces/:ws/members/:member',
    {
      config: user,
      schema: {
        tags,
        params: MemberParams,
        body: ChangeMember,
        response: { 200: MemberList, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const { member } = req.params;
      const role = checkedRole(req.body.role);
      return db.transaction().execute(async (trx) => {
        const doc = await ownedTeam(trx, me, req.params.ws);
        if (member === doc.owner) throw conflict(`${member} owns workspace ${doc.id}; its role cannot change`);
        if (!(doc.members ?? []).some((m) => m.workspace === member)) throw notFound('Member', member);
        const members = (doc.members ?? []).map((m) => (m.workspace === member ? { role, workspace: member } : m));
        await saveTeamWorkspace(trx, { ...doc, members, updated: timestamp() }, false);
        return membersOf(trx, doc.id);
      });
    },
  );

  api.delete(
    '/services/workspaces/:ws/members/:member',
    { config: user, schema: { tags, params: MemberParams, response: errors(400, 403, 404, 409) } },
    async (req, reply) => {
      const me = userOf(req);
      const { member } = req.params;
      await db.transaction().execute(async (trx) => {
        const doc = await ownedTeam(trx, me, req.params.ws);
        if (member === doc.owner) throw conflict(`${member} owns workspace ${doc.id} and cannot be removed`);
        const members = (doc.members ?? []).filter((m) => m.workspace !== member);
        if (members.length === (doc.members ?? []).length) throw notFound('Member', member);
        await saveTeamWorkspace(trx, { ...doc, members, updated: timestamp() }, false);
      });
      announceMembershipRevoked(ctx.bus, req.params.ws);
      return reply.code(204).send();
    },
  );
}
