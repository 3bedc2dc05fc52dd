// The error codes and what goes with them, without TypeBox: the CLI imports this file in every
// command, and the body's schema (errors.ts) would bring TypeBox into each command's bundle (T2).
/**
 * Stable, machine-readable error codes of the API (`{message, code}` bodies). Programs act on the
 * code; the message is for people and may change wording at any time.
 */
export const ERROR_CODES = [
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'already_exists',
  'idempotency_mismatch',
  'too_large',
  'upgrade_required',
  'rate_limited',
  'agent_unreachable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Header carrying the id of a request, on every response (and accepted from the caller). */
export const REQUEST_ID_HEADER = 'x-request-id';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  422: 'idempotency_mismatch',
  426: 'upgrade_required',
  429: 'rate_limited',
};

/** The code an error of this HTTP status carries unless it names a more precise one. */
export function codeForStatus(status: number): ErrorCode {
  return BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid');
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
