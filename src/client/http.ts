import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fullJitterDelay } from '../shared/backoff.js';
import { RELEASE } from '../shared/release.js';
import type { Dispatcher } from 'undici';
import { ApiError, ConnectionError, EbClientError, TimeoutError } from './errors.js';
import type { SecureContext } from 'node:tls';
import { parseCas } from './pinned-tls.js';
import { PlainConnection } from './plain-connection.js';
import {
  createDispatcher,
  loadUndici,
  plainRequest,
  proxyConfigured,
  trustedContext,
  type PinnedTrust,
} from './transport.js';

/** The CAM API release this client speaks (`ElasticBox-Release`). */
/** The release this client sends (`ElasticBox-Release`); the one constant of shared/release.ts. */
export const CLIENT_RELEASE = RELEASE;

export interface ClientOptions {
  /** Control plane URL; a URL without a scheme gets `https://`. */
  url: string;
  /** API token, sent as `ElasticBox-Token`. */
  token?: string;
  /** PEM text of an extra CA to trust, merged with the system roots. */
  ca?: string;
  /** A file holding {@link ClientOptions.ca}. */
  caFile?: string;
  /** A ready dispatcher (tests, custom pools). When absent one is built from `ca` and the proxy environment. */
  dispatcher?: Dispatcher;
  /** Per-attempt timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable requests (default 2). */
  maxRetries?: number;
  /** Environment for proxy settings (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  userAgent?: string;
  /**
   * Send requests over node:http(s), one connection each, rather than through undici's pool when
   * no dispatcher is given and no proxy is configured: undici takes longer to load than a short
   * command takes to run (the CLI's bundled commands set it).
   */
  plainRequests?: boolean;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  /** A JSON body (serialised) or a raw body (sent as is). */
  body?: unknown;
  raw?: Buffer | string;
  contentType?: string;
  /** Makes a non-idempotent request retryable; the server answers a repeat with the first result. */
  idempotencyKey?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Return the body as a Buffer instead of parsing it. */
  binary?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: T;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 60_000;
/** Connection failures worth another attempt; TLS verification and DNS failures are not. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const isTransient = (err: EbClientError) =>
  err instanceof TimeoutError || (err instanceof ConnectionError && TRANSIENT_CODES.has(err.code ?? ''));

/** Normalises a control-plane URL: adds `https://`, drops a trailing slash. */
export function normaliseUrl(url: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`;
  return withScheme.replace(/\/+$/, '');
}

/** A fresh key for requests that may be retried (deploys, operations). */
export const newIdempotencyKey = (): string => randomUUID();

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date), if usable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_RETRY_AFTER_MS) return undefined;
  return ms;
}

/** The wait before retry `attempt` (0-based): the shared full-jitter backoff, 0.5 s doubling to 8 s. */
export function backoffMs(attempt: number): number {
  return fullJitterDelay(attempt, { baseMs: 500, capMs: 8000 });
}

/** Waits `ms`; an abort rejects with the signal's reason (as the request itself would). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch((err: unknown) => {
    throw signal?.aborted ? signal.reason : err;
  });

/** The transport under every resource: headers, timeouts, retries, error mapping. Never prints. */
export class HttpClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly basePath: string;
  private dispatcher: Dispatcher | undefined;
  private dispatcherPromise: Promise<Dispatcher> | undefined;
  private readonly ownsDispatcher: boolean;
  private ca: string | undefined;
  private trust: PinnedTrust | undefined;
  /** The kept-alive connection of plain requests (`plainRequests`). */
  private readonly plain = new PlainConnection();
  /** `ElasticBox-Release` of the last response, if it had one. */
  lastRelease: string | undefined;

  constructor(private readonly opts: ClientOptions) {
    this.baseUrl = normaliseUrl(opts.url);
    const parsed = new URL(this.baseUrl);
    this.origin = parsed.origin;
    this.basePath = parsed.pathname.replace(/\/$/, '');
    this.dispatcher = opts.dispatcher;
    this.ownsDispatcher = !opts.dispatcher;
  }

  private caText(): string | undefined {
    this.ca ??= this.opts.ca ?? (this.opts.caFile ? readFileSync(this.opts.caFile, 'utf8') : undefined);
    return this.ca;
  }

  /** The pinned CA for plain requests; its full-check context is built only if needed. */
  private plainTrust(env: NodeJS.ProcessEnv): PinnedTrust | undefined {
    const ca = this.caText();
    if (!ca || !this.origin.startsWith('https:')) return undefined;
    let context: SecureContext | undefined;
    this.trust ??= { cas: parseCas(ca), context: () => (context ??= trustedContext(ca, env)) };
    return this.trust;
  }

  private getDispatcher(): Promise<Dispatcher> {
    if (this.dispatcher) return Promise.resolve(this.dispatcher);
    this.dispatcherPromise ??= (async () => {
      this.dispatcher = await createDispatcher({ ca: this.caText(), env: this.opts.env });
      return this.dispatcher;
    })();
    return this.dispatcherPromise;
  }

  /** Sends one request, retrying idempotent ones on connection errors, 408/429/5xx and timeouts. */
  async request<T>(method: string, path: string, ro: RequestOptions = {}): Promise<ApiResponse<T>> {
    const env = this.opts.env ?? process.env;
    const plain = this.opts.plainRequests && !this.opts.dispatcher && !proxyConfigured(env);
    const dispatcher = plain ? undefined : await this.getDispatcher();
    const trust = plain ? this.plainTrust(env) : undefined;
    const { request } = plain ? { request: undefined } : await loadUndici();
    const headers: Record<string, string> = {
      accept: 'application/json',
      'elasticbox-release': CLIENT_RELEASE,
      'user-agent': this.opts.userAgent ?? 'ebcli',
    };
    if (this.opts.token) headers['elasticbox-token'] = this.opts.token;
    if (ro.idempotencyKey) headers['idempotency-key'] = ro.idempotencyKey;
    let body: string | Buffer | undefined;
    if (ro.raw !== undefined) {
      body = ro.raw;
      headers['content-type'] = ro.contentType ?? 'application/octet-stream';
    } else if (ro.body !== undefined) {
      body = JSON.stringify(ro.body);
      headers['content-type'] = 'application/json';
    }
    const query = Object.entries(ro.query ?? {}).filter(([, v]) => v !== undefined && v !== '');
    const search = query.length
      ? `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)]))}`
      : '';
    const fullPath = `${this.basePath}${path}${search}`;
    const retryable = IDEMPOTENT.has(method) || Boolean(ro.idempotencyKey);
    const maxRetries = retryable ? (this.opts.maxRetries ?? 2) : 0;
    const timeoutMs = ro.timeoutMs ?? this.opts.timeoutMs ?? 30_000;

    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = ro.signal ? AbortSignal.any([ro.signal, timeout]) : timeout;
      let res: { statusCode: number; headers: Record<string, string | string[] | undefined> };
      let text: string;
      let bytes: Buffer | undefined;
      try {
        if (!request || !dispatcher) {
          const url = new URL(fullPath, this.origin);
          const plainRes = await plainRequest(url, { method, headers, body, signal, trust, connection: this.plain });
          res = plainRes;
          if (ro.binary && res.statusCode < 400) {
            bytes = plainRes.body;
            text = '';
          } else text = plainRes.body.toString('utf8');
        } else {
          const undiciRes = await request.call(dispatcher, {
            origin: this.origin,
            path: fullPath,
            method: method as Dispatcher.HttpMethod,
            headers,
            body,
            signal,
          });
          res = undiciRes;
          if (ro.binary && res.statusCode < 400) {
            bytes = Buffer.from(await undiciRes.body.arrayBuffer());
            text = '';
          } else text = await undiciRes.body.text();
          // Let undici mark the connection idle before the next request, or it opens a second one.
          await new Promise((r) => setImmediate(r));
        }
      } catch (err) {
        if (ro.signal?.aborted) throw ro.signal.reason ?? err;
        const mapped = timeout.aborted
          ? new TimeoutError(`${method} ${path} timed out after ${timeoutMs} ms`, { cause: err })
          : toConnectionError(err, this.baseUrl);
        if (attempt < maxRetries && isTransient(mapped)) {
          await sleep(backoffMs(attempt), ro.signal);
          continue;
        }
        throw mapped;
      }
      const release = header(res.headers, 'elasticbox-release');
      if (release !== undefined) this.lastRelease = release;
      const data = bytes ?? parseBody(text, header(res.headers, 'content-type'));
      if (res.statusCode < 400) return { status: res.statusCode, headers: res.headers, data: data as T };
      if (attempt < maxRetries && RETRY_STATUS.has(res.statusCode)) {
        const wait = retryAfterMs(header(res.headers, 'retry-after')) ?? backoffMs(attempt);
        await sleep(wait, ro.signal);
        continue;
      }
      throw ApiError.from({
        status: res.statusCode,
        message: errorMessage(data, text, res.statusCode),
        method,
        path,
        headers: res.headers,
        body: data,
      });
    }
  }

  /** Closes the dispatcher this client built (not an injected one). */
  async close(): Promise<void> {
    this.plain.destroy();
    if (this.ownsDispatcher && this.dispatcher) await this.dispatcher.close();
  }
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (!text) return undefined;
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function errorMessage(data: unknown, text: string, status: number): string {
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  return text.trim().slice(0, 500) || `HTTP ${status}`;
}

function toConnectionError(err: unknown, url: string): EbClientError {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code && e.code.startsWith('UND_ERR') && e.cause?.code ? e.cause.code : (e.code ?? e.cause?.code);
  const reason = code ? `${code}: ${e.message}` : e.message;
  return new ConnectionError(`cannot reach ${url} (${reason})`, { cause: err, code });
}
