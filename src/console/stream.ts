import { sessionEnded } from './api.js';

/** Close code of a socket whose credential ended (CloseCode.revoked in src/shared/protocol.ts). */
const SESSION_ENDED_CODE = 4003;

/** One event of the workspace stream (src/shared/protocol.ts TailEvent). */
export interface StreamEvent {
  seq: number;
  type: string;
  instance: string | null;
  operation: string | null;
  created: string;
  data: Record<string, any>;
}

export interface StreamOptions {
  /** Filters and start point of `GET /services/events` (instance, type, tag, tail, since). */
  query: Record<string, string>;
  onEvents(events: StreamEvent[]): void;
  /** The stream was replaced or its history pruned: the page should reload its state. */
  onResync?(): void;
  onStatus?(connected: boolean): void;
}

/**
 * The live event tail over `/services/events`, authenticated by the session cookie (the browser
 * sends the page's Origin, which the server requires). It reconnects with backoff and resumes
 * after the last seq it delivered (`since` + `epoch`), dropping anything at or below it, so a page
 * sees every event once, in order, across reconnects and server restarts.
 */
export class EventStream {
  private ws: WebSocket | undefined;
  private cursor: number | undefined;
  private epoch: string | null | undefined;
  private closed = false;
  private delay = 250;
  private timer: number | undefined;

  constructor(private readonly opts: StreamOptions) {
    this.open();
  }

  private url(): string {
    const q = new URLSearchParams(this.opts.query);
    if (this.cursor !== undefined) {
      q.delete('tail');
      q.set('since', String(this.cursor));
      if (this.epoch) q.set('epoch', this.epoch);
    }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/services/events?${q}`;
  }

  private open(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onmessage = (msg) => this.frame(JSON.parse(String(msg.data)));
    ws.onopen = () => {
      this.delay = 250;
      this.opts.onStatus?.(true);
    };
    ws.onclose = (e) => {
      this.opts.onStatus?.(false);
      if (this.closed) return;
      if (e.code === SESSION_ENDED_CODE) {
        // Signed out elsewhere or expired: reconnecting would only be refused.
        this.closed = true;
        sessionEnded();
        return;
      }
      this.timer = window.setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  private frame(msg: any): void {
    if (msg.type === 'welcome') {
      if (this.epoch !== undefined && this.epoch !== msg.epoch) this.opts.onResync?.();
      this.epoch = msg.epoch;
      this.cursor ??= msg.since;
    } else if (msg.type === 'resync') {
      this.epoch = msg.epoch;
      this.cursor = msg.first - 1;
      this.opts.onResync?.();
    } else if (msg.type === 'events') {
      const fresh = (msg.events as StreamEvent[]).filter((e) => this.cursor === undefined || e.seq > this.cursor);
      this.epoch = msg.epoch;
      this.cursor = Math.max(this.cursor ?? 0, msg.cursor);
      if (fresh.length) this.opts.onEvents(fresh);
    } else if (msg.type === 'heartbeat') {
      this.cursor = Math.max(this.cursor ?? 0, msg.head);
    }
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.ws?.close();
  }
}
