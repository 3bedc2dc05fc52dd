import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../../context.js';
import { forbidden, unauthorized } from '../../http/errors.js';
import { passwordLogin } from '../password-login.js';
import { hashToken } from '../security.js';
import { consoleOrigin } from './origin.js';
import { configOf } from '../../config-of.js';
import { announceSessionEnded } from './watch.js';
import { errors } from '../../http/schemas.js';
import { clearedSessionCookie, sessionCookie, sessionSetCookie } from './cookie.js';
import { createSession, CSRF_HEADER, csrfMatches, deleteSession, findSession, type ConsoleSession } from './store.js';

const SessionDoc = Type.Object(
  {
    email: Type.String(),
    workspace: Type.String({ description: "the user's personal workspace" }),
    csrf: Type.String({ description: 'send it back in X-CSRF-Token with every API call' }),
    expires: Type.String(),
  },
  { additionalProperties: false },
);

/**
 * The console's sign-in: `POST /services/session` (email and password, like
 * `POST /services/security/token`) answers with an HttpOnly, Secure, SameSite=Strict cookie and
 * the session's CSRF token; `GET` tells the page who is signed in (and the CSRF token again, for a
 * reload: no other origin can read it); `DELETE` signs out. Only the console uses these.
 */
export async function sessionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['console'];
  const sameOrigin = (req: FastifyRequest) => {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== consoleOrigin(ctx)) throw forbidden('Cross-origin request refused');
  };
  /** Signed-in requests, found before the body is read (onRequest). */
  const signedIn = new WeakMap<FastifyRequest, { secret: string; session: ConsoleSession }>();
  const authenticate = async (req: FastifyRequest) => {
    sameOrigin(req);
    const secret = sessionCookie(req);
    const session = secret ? await findSession(ctx.db, secret) : undefined;
    if (!secret || !session) throw unauthorized('Not signed in');
    signedIn.set(req, { secret, session });
  };
  const current = (req: FastifyRequest) => signedIn.get(req)!;
  const doc = (s: { user: { id: string; email: string }; csrf: string; expires: string }) => ({
    email: s.user.email,
    workspace: s.user.id,
    csrf: s.csrf,
    expires: s.expires,
  });

  api.post(
    '/services/session',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Console sign-in: sets the session cookie',
        body: Type.Object(
          {
            email: Type.String({ minLength: 1, maxLength: 254 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SessionDoc, ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      sameOrigin(req);
      const user = await passwordLogin(app, ctx.db, req, req.body.email, req.body.password);
      const session = await createSession(ctx.db, user, configOf(ctx).console.sessionTtlMs);
      void reply.header('set-cookie', sessionSetCookie(session.secret, session.expires));
      void reply.header('cache-control', 'no-store');
      return doc(session);
    },
  );

  api.get(
    '/services/session',
    {
      config: { auth: 'session' },
      schema: { tags, summary: 'The signed-in console user', response: { 200: SessionDoc, ...errors(401, 403) } },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const { session } = current(req);
      void reply.header('cache-control', 'no-store');
      return doc(session);
    },
  );

  api.delete(
    '/services/session',
    {
      config: { auth: 'session' },
      schema: { tags, summary: 'Console sign-out', response: { ...errors(401, 403) } },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const { secret, session } = current(req);
      if (!csrfMatches(session, req.headers[CSRF_HEADER])) throw unauthorized('Sign-out needs the CSRF token');
      await deleteSession(ctx.db, secret);
      announceSessionEnded(ctx.bus, hashToken(secret));
      return reply.header('set-cookie', clearedSessionCookie()).code(204).send();
    },
  );
}
