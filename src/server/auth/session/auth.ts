import type { FastifyRequest } from 'fastify';
import { TAIL_PATH } from '../../../shared/protocol.js';
import type { AuthUser } from '../../context.js';
import { forbidden, unauthorized } from '../../http/errors.js';
import { hashToken } from '../security.js';
import type { Db } from '../../store/db.js';
import { sessionCookie } from './cookie.js';
import './watch.js';
import { CSRF_HEADER, csrfMatches, findSession, type ConsoleSession } from './store.js';

/**
 * How a console session cookie may authenticate a request that carries no API token
 * (quality.md A1, issue 15):
 * - the event websocket (`GET /services/events` with an upgrade): only when `Origin` is exactly
 *   the control plane's own public URL; another origin, or none, gets 403 before the upgrade;
 * - any other `user` route: only with the session's CSRF token in `X-CSRF-Token` (a header no
 *   cross-site page can add) and, when the browser sends `Origin`, the same exact origin.
 *   A cookie alone authenticates no REST route.
 * Returns undefined when the request carries no session cookie (the caller answers 401).
 */
export async function userForSession(
  db: Db,
  req: FastifyRequest,
  allowedOrigin: string | undefined,
): Promise<AuthUser | undefined> {
  const secret = sessionCookie(req);
  if (!secret) return undefined;
  const origin = req.headers.origin;
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  if (upgrade) {
    if (req.routeOptions.url !== TAIL_PATH) throw unauthorized('A console session opens only the event stream');
    if (!allowedOrigin || origin !== allowedOrigin) {
      throw forbidden('Cross-origin websocket refused: Origin must be the control plane itself');
    }
    const session = await live(db, secret);
    req.consoleSession = { hash: hashToken(secret), expires: session.expires };
    return session.user;
  }
  if (origin !== undefined && origin !== allowedOrigin) throw forbidden('Cross-origin request refused');
  const session = await live(db, secret);
  if (!csrfMatches(session, req.headers[CSRF_HEADER])) {
    throw unauthorized('A console session needs its CSRF token in X-CSRF-Token');
  }
  return session.user;
}

async function live(db: Db, secret: string): Promise<ConsoleSession> {
  const session = await findSession(db, secret);
  if (!session) throw unauthorized('Console session expired or signed out: sign in again');
  return session;
}
