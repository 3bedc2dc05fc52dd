import { setTimeout as delay } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { Backoff, type BackoffOptions } from '../shared/backoff.js';
import {
  ProtocolError,
  TAIL_PATH,
  parseTailMessage,
  type TailEvent,
  type TailResync,
  type TailWelcome,
} from '../shared/protocol.js';
import { ApiError, ConnectionError, EbClientError, NeverConnectedError } from './errors.js';
import { CLIENT_RELEASE, HttpClient, normaliseUrl } from './http.js';
import { createDispatcher } from './transport.js';

export type { TailEvent, TailResync, TailWelcome } from '../shared/protocol.js';

/** What to read from a workspace event stream. */
export interface EventFilterOptions {
  /** Workspace id (default: the caller's personal workspace). */
  workspace?: string;
  /** Only events of these instances. */
  instances?: string[];
  /** Only events of instances carrying all of these tags. */
  tags?: string[];
  /** Only events of these types (`script.output`, `instance.state`, …). */
  types?: string[];
  /** Continue after this seq (of `epoch`, when given). */
  since?: number;
  epoch?: string;
  /** Start at the first event at or after this time. */
  sinceTime?: Date;
  /** Start with the last N matching events. */
  tail?: number;
}

export interface EventStreamOptions extends EventFilterOptions {
  /**
   * Control plane URL, or a function giving it before each connection attempt (the embedded
   * server may come back on another port after a restart).
   */
  url: string | (() => string | Promise<string>);
  token?: string;
  /** PEM text of an extra CA to trust (merged with the system roots), or a file holding it. */
  ca?: string;
  caFile?: string;
  /** A ready dispatcher; when absent one is built from `ca` and the proxy environment. */
  dispatcher?: Dispatcher;
  env?: NodeJS.ProcessEnv;
  /** Stops the stream: the iterator ends without an error. */
  signal?: AbortSignal;
  /** Reconnect backoff (full jitter; default 500 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  /** Give up after this many consecutive failed connection attempts (default: never). */
  maxAttempts?: number;
  /**
   * Give up with {@link NeverConnectedError} when no connection has succeeded this long after the
   * stream started (default: never). Once connected, the stream keeps reconnecting as before.
   */
  connectTimeoutMs?: number;
  /** Items buffered for a slow consumer before the socket is dropped (and resumed later). */
  highWaterMark?: number;
}

/**
 * One item of an event stream. `event` items arrive in seq order, each once. `resync` says the
 * server no longer had the events after the position asked for (or the stream was replaced):
 * events between `requested` and `first` are not coming. `connected`/`disconnected` report the
 * connection (a consumer may show them; the stream resumes by itself).
 */
export type EventStreamItem =
  | { kind: 'event'; event: TailEvent }
  | { kind: 'resync'; resync: Omit<TailResync, 'type'> }
  | { kind: 'connected'; welcome: Omit<TailWelcome, 'type'>; reconnect: boolean }
  | { kind: 'disconnected'; code: number; reason: string; retryInMs: number };

/** Query string of the events endpoint for a filter and start point. */
export function eventsQuery(f: EventFilterOptions, extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams();
  if (f.workspace) q.set('workspace', f.workspace);
  for (const i of f.instances ?? []) q.append('instance', i);
  for (const t of f.tags ?? []) q.append('tag', t);
  for (const t of f.types ?? []) q.append('type', t);
  if (f.since !== undefined) q.set('since', String(f.since));
  if (f.epoch) q.set('epoch', f.epoch);
  if (f.since === undefined && f.sinceTime) q.set('since_time', f.sinceTime.toISOString());
  if (f.since === undefined && !f.sinceTime && f.tail !== undefined) q.set('tail', String(f.tail));
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** A page of history from `GET /services/events`. */
export interface EventPage {
  events: TailEvent[];
  head: number;
  first: number;
  epoch: string | null;
  /** Pass as `since` to read on. */
  cursor: number;
  resync?: Omit<TailResync, 'type'>;
}

/** Reads one page of history over plain HTTP (no websocket needed). */
export async function readEventPage(http: HttpClient, f: EventFilterOptions & { limit?: number }): Promise<EventPage> {
  const path = `${TAIL_PATH}${eventsQuery(f, f.limit ? { limit: f.limit } : {})}`;
  return (await http.request<EventPage>('GET', path)).data;
}

type WebSocketCtor = typeof import('undici').WebSocket;
let wsCtor: Promise<WebSocketCtor> | undefined;

/** undici's WebSocket, loaded on first use (it is not needed to start the CLI). */
function loadWebSocket(): Promise<WebSocketCtor> {
  wsCtor ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      return (require('undici/lib/web/websocket/websocket.js') as { WebSocket: WebSocketCtor }).WebSocket;
    } catch {
      return (await import('undici')).WebSocket;
    }
  })();
  return wsCtor;
}

/** The server refused the subscription itself (401, 403, 400): retrying will not help. */
function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function isFatal(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}

class ItemQueue {
  private items: EventStreamItem[] = [];
  private waiters: (() => void)[] = [];
  done = false;
  error: unknown;

  get length(): number {
    return this.items.length;
  }
  push(item: EventStreamItem): void {
    this.items.push(item);
    this.poke();
  }
  end(error?: unknown): void {
    this.done = true;
    this.error ??= error;
    this.poke();
  }
  poke(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
  shift(): EventStreamItem | undefined {
    const item = this.items.shift();
    if (item) this.poke();
    return item;
  }
  /** Resolves on the next push, end or shift. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * A live, resumable event stream over a websocket (`/services/events`). Iterate it with
 * `for await`; it reconnects after any disconnect (server restart included) with full-jitter
 * backoff, resumes after the last seq it delivered, drops duplicates by seq, and reports lost
 * history as an explicit `resync` item. Ends when `signal` aborts; throws on a refused
 * subscription (401/403/400) or after `maxAttempts` failed connections. Never prints.
 */
export class EventStream implements AsyncIterable<EventStreamItem> {
  /** The last seq delivered (or acknowledged by a heartbeat); resume point. */
  cursor: number | undefined;
  epoch: string | undefined;
  private dispatcher: Dispatcher | undefined;
  private readonly stop = new AbortController();

  constructor(private readonly opts: EventStreamOptions) {
    this.cursor = opts.since;
    this.epoch = opts.epoch;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EventStreamItem> {
    const queue = new ItemQueue();
    this.stop.signal.addEventListener('abort', () => queue.poke(), { once: true });
    const onAbort = () => this.stop.abort();
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.opts.signal?.aborted) this.stop.abort();
    const loop = this.connectLoop(queue).then(
      () => queue.end(),
      (err: unknown) => queue.end(err),
    );
    try {
      for (;;) {
        const item = queue.shift();
        if (item) yield item;
        else if (queue.done) break;
        else await queue.changed();
        if (this.stop.signal.aborted) break;
      }
      if (queue.error !== undefined && !this.stop.signal.aborted) throw queue.error;
    } finally {
      this.opts.signal?.removeEventListener('abort', onAbort);
      this.stop.abort();
      await loop;
      if (!this.opts.dispatcher) await this.dispatcher?.close().catch(() => undefined);
    }
  }

  private async getDispatcher(): Promise<Dispatcher> {
    if (this.opts.dispatcher) return this.opts.dispatcher;
    const ca = this.opts.ca ?? (this.opts.caFile ? readFileSync(this.opts.caFile, 'utf8') : undefined);
    this.dispatcher ??= await createDispatcher({ ca, env: this.opts.env });
    return this.dispatcher;
  }

  private async baseUrl(): Promise<string> {
    const url = typeof this.opts.url === 'function' ? await this.opts.url() : this.opts.url;
    return normaliseUrl(url);
  }

  private filter(): EventFilterOptions {
    const { workspace, instances, tags, types, sinceTime, tail } = this.opts;
    return { workspace, instances, tags, types, sinceTime, tail, since: this.cursor, epoch: this.epoch };
  }

  private async connectLoop(queue: ItemQueue): Promise<void> {
    const backoff = new Backoff({ baseMs: 500, capMs: 30_000, ...this.opts.backoff });
    const highWater = this.opts.highWaterMark ?? 10_000;
    let connections = 0;
    const giveUpAt = this.opts.connectTimeoutMs === undefined ? undefined : Date.now() + this.opts.connectTimeoutMs;
    const neverConnected = (reason: string) =>
      new NeverConnectedError(
        `event stream: no connection to the server within ${formatMs(this.opts.connectTimeoutMs!)} (${reason})`,
        this.opts.connectTimeoutMs!,
      );
    while (!this.stop.signal.aborted) {
      while (queue.length > highWater / 2 && !this.stop.signal.aborted) await queue.changed();
      if (this.stop.signal.aborted) return;
      const connectBy = connections === 0 ? giveUpAt : undefined;
      const outcome = await this.connectOnce(queue, connections > 0, highWater, connectBy);
      if (this.stop.signal.aborted) return;
      if (outcome.welcomed) {
        connections++;
        backoff.reset();
      }
      if (outcome.paused) continue;
      if (!outcome.welcomed) {
        const refusal = await this.probe(connectBy);
        if (refusal) throw refusal;
        if (connectBy !== undefined && Date.now() >= connectBy) throw neverConnected(outcome.reason);
        if (this.opts.maxAttempts !== undefined && backoff.attempt + 1 >= this.opts.maxAttempts) {
          throw new ConnectionError(
            `event stream: no connection after ${backoff.attempt + 1} attempts (${outcome.reason})`,
          );
        }
      }
      let retryInMs = backoff.next();
      if (connectBy !== undefined) retryInMs = Math.max(0, Math.min(retryInMs, connectBy - Date.now()));
      queue.push({ kind: 'disconnected', code: outcome.code, reason: outcome.reason, retryInMs });
      // Stopping ends the wait early; the loop then sees the stop.
      await delay(retryInMs, undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
  }

  /** After a failed upgrade: asks the same question over HTTP to learn whether it was refused. */
  private async probe(by?: number): Promise<EbClientError | undefined> {
    const timeoutMs = by === undefined ? 10_000 : Math.min(10_000, by - Date.now());
    if (timeoutMs <= 0) return undefined;
    try {
      const http = new HttpClient({
        url: await this.baseUrl(),
        token: this.opts.token,
        dispatcher: await this.getDispatcher(),
        maxRetries: 0,
        timeoutMs,
      });
      await readEventPage(http, { ...this.filter(), limit: 1 });
      return undefined;
    } catch (err) {
      return isFatal(err) ? (err as EbClientError) : undefined;
    }
  }

  private async connectOnce(
    queue: ItemQueue,
    reconnect: boolean,
    highWater: number,
    /** Not welcomed by then: close and report a failed attempt. */
    connectBy?: number,
  ): Promise<{ welcomed: boolean; paused: boolean; code: number; reason: string }> {
    const WebSocket = await loadWebSocket();
    let url: string;
    try {
      url = `${(await this.baseUrl()).replace(/^http/, 'ws')}${TAIL_PATH}${eventsQuery(this.filter())}`;
    } catch (err) {
      return { welcomed: false, paused: false, code: 0, reason: (err as Error).message };
    }
    const headers: Record<string, string> = { 'elasticbox-release': CLIENT_RELEASE, 'user-agent': 'ebcli' };
    if (this.opts.token) headers['elasticbox-token'] = this.opts.token;
    const ws = new WebSocket(url, { dispatcher: await this.getDispatcher(), headers });
    let welcomed = false;
    let paused = false;
    let silentFor = 30_000;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      const left = !welcomed && connectBy !== undefined ? Math.max(0, connectBy - Date.now()) : Infinity;
      watchdog =
        left < silentFor
          ? setTimeout(() => ws.close(4001, 'connect timeout'), left)
          : setTimeout(() => ws.close(4000, 'server silent'), silentFor);
    };
    const onAbort = () => ws.close(1000, 'stopped');
    this.stop.signal.addEventListener('abort', onAbort, { once: true });
    arm();
    return new Promise((resolve) => {
      ws.addEventListener('message', (ev) => {
        arm();
        try {
          const msg = parseTailMessage(
            typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as ArrayBuffer),
            'tail-server',
          );
          if (msg.type === 'welcome') {
            welcomed = true;
            silentFor = 2 * msg.heartbeatMs + 5000;
            this.cursor = msg.since;
            this.epoch = msg.epoch ?? undefined;
            const { type: _type, ...welcome } = msg;
            queue.push({ kind: 'connected', welcome, reconnect });
          } else if (msg.type === 'events') {
            for (const event of msg.events) {
              if (this.cursor !== undefined && event.seq <= this.cursor) continue;
              this.cursor = event.seq;
              queue.push({ kind: 'event', event });
            }
            this.cursor = Math.max(this.cursor ?? 0, msg.cursor);
            this.epoch = msg.epoch ?? this.epoch;
            if (queue.length > highWater && !paused) {
              paused = true;
              ws.close(1000, 'consumer busy');
            }
          } else if (msg.type === 'resync') {
            const { type: _type, ...resync } = msg;
            this.cursor = msg.first - 1;
            this.epoch = msg.epoch ?? undefined;
            queue.push({ kind: 'resync', resync });
          } else if (msg.type === 'heartbeat') {
            this.cursor = Math.max(this.cursor ?? 0, msg.head);
          }
        } catch (err) {
          ws.close(4002, err instanceof ProtocolError ? err.message : 'invalid server frame');
        }
      });
      ws.addEventListener('close', (ev) => {
        clearTimeout(watchdog);
        this.stop.signal.removeEventListener('abort', onAbort);
        resolve({
          welcomed,
          paused,
          code: ev.code,
          reason: ev.reason || (welcomed ? 'connection closed' : 'connection failed'),
        });
      });
      ws.addEventListener('error', () => undefined);
    });
  }
}

/** Opens a resumable event stream (see {@link EventStream}). */
export function streamEvents(opts: EventStreamOptions): EventStream {
  return new EventStream(opts);
}
