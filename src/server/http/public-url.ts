/**
 * The two addresses of a control plane: where it listens (`--listen ADDR:PORT`, default
 * 127.0.0.1) and the URL other hosts use (`--public-url`). The server certificate names the
 * loopback hosts, the listen address (unless it is a wildcard) and the public URL's host.
 */
import { isIP } from 'node:net';
import { LOOPBACK_HOSTS } from '../tls/hosts.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

const bracketed = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** `ADDR:PORT`, `[v6]:PORT`, `ADDR` or `:PORT` → host and port (undefined: not given). */
export function parseListen(value: string): { host?: string; port?: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(value.trim()) ?? /^([0-9a-fA-F:]+)$/.exec(value.trim());
  if (!m) throw new Error(`--listen ${value}: expected ADDR:PORT, [IPv6]:PORT, ADDR or :PORT`);
  const host = (m[1] ?? m[2]) || undefined;
  const port = m[3] !== undefined ? Number(m[3]) : undefined;
  if (port !== undefined && port > 65535) throw new Error(`--listen ${value}: the port must be at most 65535`);
  if (host !== undefined && !isIP(host) && !/^[a-zA-Z0-9.-]+$/.test(host)) {
    throw new Error(`--listen ${value}: ${host} is not an address or host name`);
  }
  return { host, port };
}

/** A `--public-url` value checked: https only, a host, no credentials, query or fragment. */
export function checkPublicUrl(value: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`--public-url ${value}: not a URL (expected https://HOST[:PORT])`);
  }
  if (u.protocol !== 'https:') throw new Error(`--public-url ${value}: must use https`);
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) {
    throw new Error(`--public-url ${value}: only https://HOST[:PORT] (no path, credentials, query or fragment)`);
  }
  return u;
}

/** The public URL without a trailing slash; with the listening port when it names none. */
export function resolvePublicUrl(value: string | undefined, port: number): string | undefined {
  if (!value) return undefined;
  const u = checkPublicUrl(value);
  // URL drops a stated default port (443); one stated is kept.
  const stated = /^https:\/\/(?:\[[^\]]+\]|[^/:]+):(\d+)/i.exec(value.trim())?.[1];
  return `https://${u.hostname}:${stated ? Number(stated) : port}`;
}

/** The URL this host reaches the server at: the listen address, or loopback for a wildcard one. */
export function localUrl(host: string, port: number): string {
  const local = WILDCARDS.has(host) ? (host.includes(':') ? '::1' : '127.0.0.1') : host;
  return `https://${bracketed(local)}:${port}`;
}

/** The hosts the server certificate must name for this listen address and public URL. */
export function certificateHostsFor(host: string, publicUrl?: string): string[] {
  const hosts = [...LOOPBACK_HOSTS];
  if (!WILDCARDS.has(host)) hosts.push(host);
  if (publicUrl) hosts.push(checkPublicUrl(publicUrl).hostname.replace(/^\[|\]$/g, ''));
  return [...new Set(hosts.map((h) => h.toLowerCase()))];
}
