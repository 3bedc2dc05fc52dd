import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from './context.js';
import { unauthorized } from './errors.js';
import { hashToken } from './security.js';
import type { Db } from './store/db.js';

/** Reads the API token from `ElasticBox-Token` or `Authorization: Bearer`. */
export function tokenFromHeaders(headers: FastifyRequest['headers']): string | undefined {
  const eb = headers['elasticbox-token'];
  if (typeof eb === 'string' && eb.trim()) return eb.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  return undefined;
}

export async function userForToken(db: Db, token: string): Promise<AuthUser | undefined> {
  const row = await db
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .select(['users.id', 'users.email', 'users.is_admin'])
    .where('tokens.hash', '=', hashToken(token))
    .executeTakeFirst();
  return row ? { id: row.id, email: row.email, isAdmin: row.is_admin === 1 } : undefined;
}

/** onRequest hook: authenticates every route classified `user`, before its body is read. */
export function authenticate(db: Db) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (req.routeOptions.config?.auth !== 'user') return;
    const token = tokenFromHeaders(req.headers);
    if (!token) throw unauthorized('Authentication required: send ElasticBox-Token or Authorization: Bearer');
    if (token.length > 512) throw unauthorized('Invalid token');
    const user = await userForToken(db, token);
    if (!user) throw unauthorized('Invalid token');
    req.user = user;
  };
}
