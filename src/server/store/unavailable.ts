/**
 * Whether an error says the store could not be reached for a moment (PostgreSQL restarting or
 * stopped, a backend terminated, a connection reset), as opposed to a query that failed on its
 * own. Such errors are retried by the workflow engine without counting as a failed attempt, and
 * answered 503 with Retry-After by the API (quality.md F3). SQLite never raises them.
 */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOENT', 'EHOSTUNREACH']);
/** SQLSTATEs: connection exceptions (class 08), admin/crash shutdown, starting up, too many connections. */
const STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const MESSAGES = [
  'Connection terminated',
  'not queryable',
  'timeout exceeded when trying to connect',
  'the database system is',
];

export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; syscall?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK.has(code)) return code !== 'ENOENT' || e.syscall === 'connect';
  if (STATES.has(code) || code.startsWith('08')) return true;
  return MESSAGES.some((m) => e.message.includes(m));
}
