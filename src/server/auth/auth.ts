import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthLimits } from './limits.js';
import type { AuthUser } from '../context.js';
import { unauthorized } from '../http/errors.js';
import { hashToken } from './security.js';
import type { Db } from '../store/db.js';
import { compiledOnce } from '../store/compiled-query.js';

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

/** The token lookup of every authenticated request, compiled once per store. */
const tokenUser = compiledOnce(
  (db: Db, hash: string) =>
    db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .select(['users.id', 'users.email', 'users.is_admin'])
      .where('tokens.hash', '=', hash),
  ['placeholder-hash'],
);

export async function userForToken(db: Db, token: string): Promise<AuthUser | undefined> {
  const [row] = await tokenUser(db, hashToken(token));
  return row ? { id: row.id, email: row.email, isAdmin: row.is_admin === 1 } : undefined;
}

/**
 * onRequest hook: authenticates every route classified `user`, before its body is read. A client
 * address that sent too many unknown tokens gets 429 + Retry-After, for any token, until its
 * window ends (so guessing cannot go on, even with a right guess in between).
 */
export function authenticate(
  db: Db,
  limits: AuthLimits,
  onAuthenticated?: (req: FastifyRequest) => void,
  /** Console sessions (src/server/auth/session/auth.ts): consulted only when no token was sent. */
  sessionUser?: (req: FastifyRequest) => Promise<AuthUser | undefined>,
) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (req.routeOptions.config?.auth !== 'user') return;
    const token = tokenFromHeaders(req.headers);
    const viaSession = token ? undefined : await sessionUser?.(req);
    if (viaSession) {
      req.user = viaSession;
      onAuthenticated?.(req);
      return;
    }
    if (!token) throw unauthorized('Authentication required: send ElasticBox-Token or Authorization: Bearer');
    limits.tokenPerAddress.check(req.ip);
    const user = token.length > 512 ? undefined : await userForToken(db, token);
    if (!user) {
      limits.tokenPerAddress.fail(req.ip);
      throw unauthorized('Invalid token');
    }
    req.user = user;
    onAuthenticated?.(req);
  };
}
