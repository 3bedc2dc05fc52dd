import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './store.js';

/** The session cookie's value in a request, if any. */
export function sessionCookie(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || !header) return undefined;
  return parseCookie(header)[SESSION_COOKIE] || undefined;
}

/** `Set-Cookie` for a new session: never readable by scripts, HTTPS only, never sent cross-site. */
export function sessionSetCookie(secret: string, expires: string): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value: secret,
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    expires: new Date(expires),
  });
}

/** `Set-Cookie` that removes the session cookie (sign out). */
export function clearedSessionCookie(): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value: '',
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    expires: new Date(0),
  });
}
