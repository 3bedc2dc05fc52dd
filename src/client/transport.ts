import { createRequire } from 'node:module';
import type { X509Certificate } from 'node:crypto';
import type { SecureContext, TLSSocket } from 'node:tls';
import { mergedCa, trustedContext } from '../shared/tls-trust.js';
import type { Dispatcher } from 'undici';
import { connectPinned } from './pinned-tls.js';
import type { PlainConnection } from './plain-connection.js';

type RequestFn = (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
type DispatcherCtor = new (opts?: Record<string, unknown>) => Dispatcher;

interface UndiciParts {
  Agent: DispatcherCtor;
  EnvHttpProxyAgent: () => DispatcherCtor;
  request: RequestFn;
}

let parts: Promise<UndiciParts> | undefined;

/**
 * Loads undici lazily. Only the agent and request modules are required (not undici's index, which
 * pulls in fetch, websockets and caches, unless a proxy is configured): CLI start-up is measured
 * in tens of milliseconds.
 * Falls back to the package entry point if its layout ever changes.
 */
export function loadUndici(): Promise<UndiciParts> {
  parts ??= (async () => {
    const require = createRequire(import.meta.url);
    try {
      return {
        Agent: require('undici/lib/dispatcher/agent.js') as DispatcherCtor,
        // Proxy tunnels use dispatcher methods that undici's index installs: load all of it then.
        EnvHttpProxyAgent: () => (require('undici') as { EnvHttpProxyAgent: DispatcherCtor }).EnvHttpProxyAgent,
        request: require('undici/lib/api/api-request.js') as RequestFn,
      };
    } catch {
      const undici = await import('undici');
      return {
        Agent: undici.Agent as unknown as DispatcherCtor,
        EnvHttpProxyAgent: () => undici.EnvHttpProxyAgent as unknown as DispatcherCtor,
        request(this: Dispatcher, opts) {
          return this.request(opts);
        },
      };
    }
  })();
  return parts;
}

export interface TransportOptions {
  /** PEM text of an extra CA to trust (the embedded server's CA, a corporate CA). */
  ca?: string;
  /** Environment to read `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` and `NODE_EXTRA_CA_CERTS` from. */
  env?: NodeJS.ProcessEnv;
}

/** The proxy settings in an environment, lower-case names first as curl does. */
export function proxyEnv(env: NodeJS.ProcessEnv): { httpsProxy?: string; httpProxy?: string; noProxy?: string } {
  const pick = (name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  return { httpsProxy: pick('https_proxy'), httpProxy: pick('http_proxy'), noProxy: pick('no_proxy') };
}

export { mergedCa, trustedContext };

/** Builds the default dispatcher: an `EnvHttpProxyAgent` when a proxy is configured, else an `Agent`. */
export async function createDispatcher(opts: TransportOptions = {}): Promise<Dispatcher> {
  const env = opts.env ?? process.env;
  const { Agent, EnvHttpProxyAgent } = await loadUndici();
  const tls: Record<string, unknown> = { minVersion: 'TLSv1.2' };
  if (opts.ca) tls.secureContext = trustedContext(opts.ca, env);
  const proxy = proxyEnv(env);
  if (proxy.httpsProxy || proxy.httpProxy) {
    const Ctor = EnvHttpProxyAgent();
    return new Ctor({ ...proxy, connect: tls, requestTls: tls, proxyTls: tls });
  }
  return new Agent({ connect: tls });
}

/** A response read in full. */
export interface PlainResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A pinned CA as plain requests use it. */
export interface PinnedTrust {
  /** Its certificates: the server is first checked against them alone (no root store, see pinned-tls.ts). */
  cas: X509Certificate[];
  /** When that check refuses the server, the context (from {@link trustedContext}) that decides as usual. */
  context: () => SecureContext;
}

export interface PlainRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal: AbortSignal;
  /** A CA pinned for the request; without one the default roots decide. */
  trust?: PinnedTrust;
  /** The client's kept-alive connection (plain-connection.ts); without it, a connection per request. */
  connection?: PlainConnection;
}

/** True when a proxy variable is set, i.e. only undici's proxy agent may carry the request. */
export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  const proxy = proxyEnv(env);
  return Boolean(proxy.httpsProxy || proxy.httpProxy);
}

/**
 * One request over node:http(s), with the same TLS floor and trusted roots as
 * {@link createDispatcher}. It loads in a fraction of undici's time, so short commands use it when
 * no proxy is configured. With `connection`, requests share one kept-alive connection.
 */
export async function plainRequest(url: URL, req: PlainRequest): Promise<PlainResponse> {
  const secure = url.protocol === 'https:';
  // require, not import(): a CommonJS caller (a bundled command) then never starts the ES module loader.
  const mod = createRequire(import.meta.url)(secure ? 'node:https' : 'node:http') as typeof import('node:https');
  const kept = req.connection;
  const agent = kept?.agentFor(secure);
  const reuse = kept?.reusable() ?? false;
  let connection: { createConnection?: () => TLSSocket; secureContext?: SecureContext; minVersion?: 'TLSv1.2' } = {};
  // A kept connection was verified when it was made: the request then names no TLS options (they
  // would also give it another pool key than the connection's).
  if (secure && !reuse) {
    const { trust } = req;
    const pinned = trust?.cas.length
      ? await connectPinned({ host: url.hostname, port: Number(url.port || 443), cas: trust.cas, signal: req.signal })
      : undefined;
    if (pinned && 'socket' in pinned) {
      if (kept) kept.offer(pinned.socket);
      else connection = { createConnection: () => pinned.socket };
    } else connection = { minVersion: 'TLSv1.2', ...(trust ? { secureContext: trust.context() } : {}) };
  }
  return new Promise((resolve, reject) => {
    const options = { method: req.method, headers: req.headers, signal: req.signal, ...connection };
    const r = mod.request(url, { ...options, agent: agent ?? (connection.createConnection ? undefined : false) });
    r.on('error', reject);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      // Resolved a turn later: Node hands a kept-alive socket back to its agent just after `end`,
      // and the caller's next request should find it free.
      res.on('end', () =>
        setImmediate(() =>
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        ),
      );
    });
    r.end(req.body);
  });
}
