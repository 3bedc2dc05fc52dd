import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { userOf } from './access.js';
import type { ServerContext } from '../context.js';
import { schemaUrl } from '../store/docs.js';
import { badRequest, notFound } from '../http/errors.js';
import { passwordLogin } from './password-login.js';
import { errors } from '../http/schemas.js';
import { announceTokenRevoked } from '../events/revocation.js';
import { issueToken } from '../workspaces/user-store.js';
import { ProfileDocSchema, TokenDocSchema } from '../../shared/users.js';

/** The UI allowed at most 50 tokens per user. */
export const MAX_TOKENS_PER_USER = 50;

const TokenDoc = TokenDocSchema;

const tokenDoc = (t: { id: string; description: string; created: string; last_used?: string | null }) => ({
  id: t.id,
  uri: `/services/tokens/${t.id}`,
  schema: schemaUrl('token'),
  description: t.description,
  created: t.created,
  last_used: t.last_used ?? null,
});

export async function tokenRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['tokens'];

  api.post(
    '/services/security/token',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        body: Type.Object(
          {
            email: Type.String({ minLength: 1, maxLength: 254 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.String(), ...errors(400, 401, 429) },
      },
    },
    async (req, reply) => {
      const user = await passwordLogin(app, db, req, req.body.email, req.body.password);
      const token = await issueToken(db, user.id, 'Session token (email and password login)');
      return reply.type('text/plain; charset=utf-8').send(token.value);
    },
  );

  api.get(
    '/services/tokens',
    { config: { auth: 'user' }, schema: { tags, response: { 200: Type.Array(TokenDoc) } } },
    async (req) => {
      const rows = await db
        .selectFrom('tokens')
        .select(['id', 'description', 'created', 'last_used'])
        .where('user_id', '=', userOf(req).id)
        .orderBy('created')
        .execute();
      return rows.map(tokenDoc);
    },
  );

  api.post(
    '/services/tokens',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        body: Type.Object(
          { description: Type.Optional(Type.String({ maxLength: 256 })) },
          { additionalProperties: false },
        ),
        response: { 200: TokenDoc, ...errors(400) },
      },
    },
    async (req) => {
      const me = userOf(req);
      return db.transaction().execute(async (trx) => {
        const count = await trx
          .selectFrom('tokens')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('user_id', '=', me.id)
          .executeTakeFirst();
        if (Number(count?.n ?? 0) >= MAX_TOKENS_PER_USER) {
          throw badRequest(`A user can hold at most ${MAX_TOKENS_PER_USER} tokens; delete one first`);
        }
        const token = await issueToken(trx, me.id, req.body.description ?? '');
        return { ...tokenDoc(token), value: token.value };
      });
    },
  );

  api.delete(
    '/services/tokens/:id',
    {
      config: { auth: 'user' },
      schema: { tags, params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: errors(404) },
    },
    async (req, reply) => {
      const res = await db
        .deleteFrom('tokens')
        .where('id', '=', req.params.id)
        .where('user_id', '=', userOf(req).id)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw notFound('Token', req.params.id);
      announceTokenRevoked(ctx.bus, req.params.id);
      return reply.code(204).send();
    },
  );

  api.get(
    '/services/profile',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        response: {
          200: ProfileDocSchema,
        },
      },
    },
    async (req) => {
      const me = userOf(req);
      return {
        id: me.id,
        username: me.id,
        email: me.email,
        workspace: me.id,
        is_admin: me.isAdmin,
        schema: schemaUrl('user'),
      };
    },
  );
}
