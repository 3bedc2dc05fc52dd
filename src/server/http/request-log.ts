import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import { MASK } from '../../shared/redact.js';

/** Query parameters whose values are credentials or may be: their values never reach a log. */
const CREDENTIAL_PARAM = /token|passw|pwd|secret|key|auth|sig|session|cookie|credential|code|ticket|jwt|bearer/i;

/**
 * The request URL as logged: the path as sent, and the query string with the value of every
 * credential-like parameter replaced by `***` (a token in a query string must never reach
 * `server.log`). A query string that does not parse as `name=value&…` is dropped whole.
 */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const path = url.slice(0, q);
  const query = url.slice(q + 1);
  if (query === '') return path;
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    let name: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
    if (eq === -1) return CREDENTIAL_PARAM.test(name) ? `${rawName}=${MASK}` : rawName;
    return CREDENTIAL_PARAM.test(name) ? `${rawName}=${MASK}` : pair;
  });
  if (parts.some((p) => p === undefined)) return `${path}?${MASK}`;
  return `${path}?${parts.join('&')}`;
}

/** What a request line holds in the log: no headers (they carry tokens), no raw query string. */
function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: loggableUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** The logger option with the request serializer that keeps credentials out of the log. */
export function withSafeSerializers(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  return { ...base, serializers: { ...base.serializers, req: serializeRequest as never } };
}
