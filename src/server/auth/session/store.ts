import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthUser } from '../../context.js';
import { hashToken } from '../security.js';
import type { Db } from '../../store/db.js';

/** Name of the console's session cookie. */
export const SESSION_COOKIE = 'eb_session';
/** Header in which the console echoes its session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';

export interface ConsoleSession {
  user: AuthUser;
  csrf: string;
  expires: string;
}

export interface NewSession extends ConsoleSession {
  /** The cookie value: returned once, stored only as its hash. */
  secret: string;
}

/** Starts a session for a user (and drops that user's expired ones). */
/** `ttlMs`: how long the sign-in lasts (the server config's `console.sessionTtlMs`). */
export async function createSession(db: Db, user: AuthUser, ttlMs: number, now = Date.now()): Promise<NewSession> {
  const secret = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  const expires = new Date(now + ttlMs).toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('console_sessions')
      .where('user_id', '=', user.id)
      .where('expires', '<=', new Date(now).toISOString())
      .execute();
    await trx
      .insertInto('console_sessions')
      .values({ hash: hashToken(secret), user_id: user.id, csrf, created: new Date(now).toISOString(), expires })
      .execute();
  });
  return { secret, user, csrf, expires };
}

/** The live session a cookie value names, or undefined (unknown, malformed or expired). */
export async function findSession(db: Db, secret: string, now = Date.now()): Promise<ConsoleSession | undefined> {
  if (!/^[A-Za-z0-9_-]{20,128}$/.test(secret)) return undefined;
  const row = await db
    .selectFrom('console_sessions')
    .innerJoin('users', 'users.id', 'console_sessions.user_id')
    .select(['users.id', 'users.email', 'users.is_admin', 'console_sessions.csrf', 'console_sessions.expires'])
    .where('console_sessions.hash', '=', hashToken(secret))
    .executeTakeFirst();
  if (!row || Date.parse(row.expires) <= now) return undefined;
  return { user: { id: row.id, email: row.email, isAdmin: row.is_admin === 1 }, csrf: row.csrf, expires: row.expires };
}

/** Ends the session a cookie value names (signing out twice is not an error). */
export async function deleteSession(db: Db, secret: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('hash', '=', hashToken(secret)).execute();
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: ConsoleSession, presented: unknown): boolean {
  if (typeof presented !== 'string' || !presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
