import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { userOf } from '../auth/access.js';
import type { AuthUser, ServerContext } from '../context.js';
import { badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import { announceMembershipRevoked } from '../events/membership-watch.js';
import { announceTokenRevoked } from '../events/revocation.js';
import { announceSessionEnded } from '../auth/session/watch.js';
import { errors } from '../http/schemas.js';
import { hashPassword } from '../auth/security.js';
import { CreateUser, OrganizationParams, UserDocSchema, UserParams } from './user-schemas.js';
import { ORGANIZATION, deleteUser, getUser, listUsers, newUserClash, removalBlocker } from './user-admin.js';
import { USERNAME, createUser } from './user-store.js';
import { USERNAME_RULE } from '../../shared/identifiers.js';
import { isUniqueViolation } from '../workflows/store/workflows.js';

/** Shape check only: one `@`, no spaces, a dot in the domain. Delivery is not verified. */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const MIN_PASSWORD = 8;

/** Only an organization admin manages users; the organization is the control plane's one, `public`. */
function adminOf(req: { user?: AuthUser }, org: string): AuthUser {
  const me = userOf(req);
  if (!me.isAdmin) throw forbidden('Only an organization admin can manage users');
  if (org !== ORGANIZATION) throw notFound('Organization', org);
  return me;
}

/**
 * Users of the organization (CAM organizations and members, cam-api.md §2.7; design choice: the
 * paths follow `/services/organizations/{org}/…`). Each user has a personal workspace of the
 * same id; passwords are stored as scrypt hashes, never returned.
 */
export async function userRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['users'];
  const user = { auth: 'user' as const };

  api.get(
    '/services/organizations/:org/users',
    {
      config: user,
      schema: { tags, params: OrganizationParams, response: { 200: Type.Array(UserDocSchema), ...errors(403, 404) } },
    },
    async (req) => {
      adminOf(req, req.params.org);
      return listUsers(db);
    },
  );

  api.post(
    '/services/organizations/:org/users',
    {
      config: user,
      schema: {
        tags,
        params: OrganizationParams,
        body: CreateUser,
        response: { 200: UserDocSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      adminOf(req, req.params.org);
      const { username, password, is_admin } = req.body;
      const email = req.body.email.trim();
      if (!USERNAME.test(username)) {
        throw badRequest(`username: ${username} is not valid: use ${USERNAME_RULE}`);
      }
      if (!EMAIL.test(email)) throw badRequest(`email: ${email} is not a valid email address`);
      if (password.length < MIN_PASSWORD) throw badRequest(`password: use at least ${MIN_PASSWORD} characters`);
      const passwordHash = await hashPassword(password);
      try {
        return await db.transaction().execute(async (trx) => {
          const clash = await newUserClash(trx, username, email);
          if (clash) throw conflict(clash);
          await createUser(trx, { username, email, password, passwordHash, isAdmin: is_admin ?? false });
          return (await getUser(trx, username))!;
        });
      } catch (err) {
        // Two concurrent adds of one name or email: the loser meets the table's unique key.
        if (isUniqueViolation(err)) throw conflict(`The username ${username} or email ${email} is taken`);
        throw err;
      }
    },
  );

  api.delete(
    '/services/organizations/:org/users/:user',
    { config: user, schema: { tags, params: UserParams, response: errors(403, 404, 409) } },
    async (req, reply) => {
      const me = adminOf(req, req.params.org);
      const id = req.params.user;
      if (id === me.id) throw conflict('You cannot remove yourself; another admin can');
      const revoked = await db.transaction().execute(async (trx) => {
        if (!(await getUser(trx, id))) throw notFound('User', id);
        const blocker = await removalBlocker(trx, id);
        if (blocker) throw conflict(`${blocker}; move or delete them first`);
        return deleteUser(trx, id);
      });
      for (const tokenId of revoked.tokenIds) announceTokenRevoked(ctx.bus, tokenId);
      for (const hash of revoked.sessionHashes) announceSessionEnded(ctx.bus, hash);
      announceMembershipRevoked(ctx.bus, id);
      return reply.code(204).send();
    },
  );
}
