/** The signed-in user, as `GET /services/session` tells it. */
export interface Session {
  email: string;
  workspace: string;
  csrf: string;
  expires: string;
}

/** An answer of the API that was not 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';
let onSignedOut: () => void = () => {};

/** Called when the session ends under the page (expired, signed out elsewhere). */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

/** The server ended the session (a socket closed with 4003): back to the sign-in form. */
export function sessionEnded(): void {
  csrf = '';
  onSignedOut();
}

async function parse(res: Response): Promise<any> {
  const text = await res.text();
  const body = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (!res.ok) {
    const message = typeof body === 'object' && body && 'message' in body ? String(body.message) : res.statusText;
    throw new ApiError(res.status, message);
  }
  return body;
}

/**
 * Calls the control plane's REST API, the same endpoints as ebcli: the session cookie goes along by
 * itself, the CSRF token in `X-CSRF-Token` (without it the server refuses the cookie).
 */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-csrf-token': csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (res.status === 401 && path !== '/services/session') onSignedOut();
  return parse(res) as Promise<T>;
}

/** The current session, or undefined when signed out. */
export async function currentSession(): Promise<Session | undefined> {
  const res = await fetch('/services/session', { credentials: 'same-origin' });
  if (res.status === 401) return undefined;
  const session = (await parse(res)) as Session;
  csrf = session.csrf;
  return session;
}

export async function signIn(email: string, password: string): Promise<Session> {
  const res = await fetch('/services/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    credentials: 'same-origin',
  });
  const session = (await parse(res)) as Session;
  csrf = session.csrf;
  return session;
}

export async function signOut(): Promise<void> {
  await fetch('/services/session', { method: 'DELETE', headers: { 'x-csrf-token': csrf } });
  csrf = '';
}
