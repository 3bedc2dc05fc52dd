/**
 * Simulated Watchers for fleet load tests (quality.md L2; reusable for F7): many Watchers in ONE
 * process, each speaking the real Watcher protocol (src/shared/monitoring/watcher-protocol.ts):
 * it enrolls with its machine's token and a fresh Ed25519 key pair, connects with its own username
 * and password, signs every frame with a strictly increasing seq and the current time, and
 * verifies every server frame (signature, machine, order, time) as the real Watcher does. It runs
 * no real checks: on each assigned check's interval (with the real Watcher's stable splay) it
 * emits a synthetic OK result with metrics; it sends keepalives at the interval the server's
 * config names, and keeps one results frame in flight until its ack, like src/watcher/watcher.ts.
 *
 * What it measures: for every result, the time from its emission to the server's ack of the frame
 * that carried it (the server acks after verifying and storing state, alerts and metrics).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import {
  newKeyPair,
  privateKeyOf,
  publicKeyOf,
  seal,
  SequenceGuard,
  verifySignature,
} from '../../src/shared/monitoring/signing.js';
import {
  checkAck,
  checkConfig,
  parseEnvelope,
  WATCHER_ENROLL_PATH,
  WATCHER_PATH,
  type ConfigPayload,
  type EnrollReply,
  type WatcherResult,
} from '../../src/shared/monitoring/watcher-protocol.js';

export interface FleetMachine {
  machine: string;
  /** The machine token the provider gave the machine (used once, to enroll). */
  token: string;
}

export interface FleetOptions {
  /** `https://host:port` of the control plane. */
  url: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string;
  /** Metrics in each synthetic result (default 3). */
  metrics?: number;
  /** Enrollments / websocket handshakes in flight at once (default 16 / 32). */
  enrollConcurrency?: number;
  connectConcurrency?: number;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** One simulated Watcher: its identity, its counters and its socket. */
export class SimulatedWatcher {
  seq = 0;
  emitted = 0;
  acked = 0;
  /** Server frames this Watcher refused (each would be a server bug). */
  refusedFrames = 0;
  /** Closes it did not ask for: code and reason. */
  readonly unexpectedCloses: string[] = [];
  private ws: WebSocket | undefined;
  private readonly guard: SequenceGuard;
  private pending: { result: WatcherResult; at: number }[] = [];
  private inFlight: { seq: number; items: { result: WatcherResult; at: number }[] } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private emitting = true;
  private closing = false;
  config: ConfigPayload | undefined;

  constructor(
    private readonly fleet: WatcherFleet,
    readonly machine: string,
    readonly username: string,
    private readonly password: string,
    private readonly key: KeyObject,
    private readonly serverKey: KeyObject,
  ) {
    this.guard = new SequenceGuard(0, 60_000);
  }

  /** Connects; resolves once the server's signed config has arrived and been applied. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const auth = Buffer.from(`${this.username}:${this.password}`).toString('base64');
      const ws = new WebSocket(`${this.fleet.opts.url.replace(/^http/, 'ws')}${WATCHER_PATH}`, {
        ca: this.fleet.opts.ca,
        headers: { authorization: `Basic ${auth}` },
        perMessageDeflate: false,
      });
      this.ws = ws;
      let ready = false;
      ws.on('open', () => this.send('hello', { version: 'simulated', ledger: this.ledger() }));
      ws.on('message', (data) => {
        if (this.onFrame(String(data)) === 'config' && !ready) {
          ready = true;
          resolve();
        }
      });
      ws.on('error', (err) => {
        if (!ready) reject(err);
      });
      ws.on('close', (code, reason) => {
        this.clearTimers();
        if (!this.closing) this.unexpectedCloses.push(`${code} ${String(reason)}`);
        if (!ready) reject(new Error(`closed before config: ${code} ${String(reason)}`));
      });
    });
  }

  private ledger() {
    return { emitted: this.emitted, dropped: 0 };
  }

  private send(type: string, payload: unknown): number | undefined {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return undefined;
    this.seq += 1;
    const e = seal(this.key, {
      type,
      machine: this.machine,
      seq: this.seq,
      sentAt: Date.now(),
      payload: JSON.stringify(payload),
    });
    this.ws.send(JSON.stringify(e));
    return this.seq;
  }

  private onFrame(text: string): string | undefined {
    const e = parseEnvelope(text);
    if (!e || e.machine !== this.machine || !verifySignature(this.serverKey, e) || this.guard.check(e)) {
      this.refusedFrames++;
      return undefined;
    }
    this.guard.accept(e);
    const payload: unknown = JSON.parse(e.payload);
    if (e.type === 'config' && checkConfig.Check(payload)) {
      this.apply(payload);
      return 'config';
    }
    if (e.type === 'ack' && checkAck.Check(payload)) {
      if (this.inFlight && this.inFlight.seq <= payload.seq) {
        const now = performance.now();
        for (const item of this.inFlight.items) this.fleet.lagsMs.push(now - item.at);
        this.acked += this.inFlight.items.length;
        this.inFlight = undefined;
        this.flush();
      }
      return 'ack';
    }
    return e.type;
  }

  private apply(config: ConfigPayload): void {
    this.clearTimers();
    this.config = config;
    if (!this.emitting) return;
    // Keepalives at the server's interval, each Watcher at its own phase.
    const phase = Math.floor(Math.random() * config.keepaliveMs);
    this.timers.push(
      setTimeout(() => {
        this.send('keepalive', {});
        this.timers.push(setInterval(() => this.send('keepalive', {}), config.keepaliveMs));
      }, phase),
    );
    for (const check of config.checks) {
      const intervalMs = check.interval * 1000;
      const splay = createHash('sha256').update(`${this.machine}/${check.id}`).digest().readUInt32BE(0) % intervalMs;
      const tick = () => this.emit(check.id);
      this.timers.push(
        setTimeout(() => {
          tick();
          this.timers.push(setInterval(tick, intervalMs));
        }, splay),
      );
    }
  }

  private emit(check: string): void {
    this.emitted += 1;
    const now = Date.now();
    const metrics = Array.from({ length: this.fleet.opts.metrics ?? 3 }, (_, i) => ({
      name: `sim.m${i}`,
      value: (now / 1000 + i) % 100,
    }));
    const result: WatcherResult = {
      n: this.emitted,
      check,
      status: 0,
      output: `OK: simulated | ${metrics.map((m) => `${m.name}=${m.value.toFixed(2)}`).join(' ')}\n`,
      executed: now,
      durationMs: 1,
      metrics,
    };
    this.pending.push({ result, at: performance.now() });
    this.flush();
  }

  private flush(): void {
    if (this.inFlight || !this.pending.length) return;
    const items = this.pending;
    this.pending = [];
    const seq = this.send('results', { results: items.map((i) => i.result), ledger: this.ledger() });
    if (seq === undefined) this.pending = items.concat(this.pending);
    else this.inFlight = { seq, items };
  }

  /** Results emitted but not yet acknowledged. */
  get unacked(): number {
    return this.pending.length + (this.inFlight?.items.length ?? 0);
  }

  /** Stops emitting results (keepalives stop too); what is in flight still gets its ack. */
  stopEmitting(): void {
    this.emitting = false;
    this.clearTimers();
  }

  /** Keeps sending keepalives only (after stopEmitting). */
  keepAliveOnly(): void {
    const ms = this.config?.keepaliveMs ?? 1000;
    this.timers.push(setInterval(() => this.send('keepalive', {}), ms));
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  /** Drops the connection without a word, as a killed Watcher would. */
  kill(): void {
    this.closing = true;
    this.clearTimers();
    this.ws?.terminate();
  }

  close(): Promise<void> {
    this.closing = true;
    this.clearTimers();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, 'simulation over');
    });
  }
}

/** A fleet of simulated Watchers in this process. */
export class WatcherFleet {
  readonly watchers: SimulatedWatcher[] = [];
  /** Emission-to-ack time of every acknowledged result, in ms. */
  readonly lagsMs: number[] = [];
  private readonly dispatcher: Agent;

  constructor(readonly opts: FleetOptions) {
    this.dispatcher = new Agent({ connect: { ca: opts.ca }, connections: opts.enrollConcurrency ?? 16 });
  }

  /** Enrolls one Watcher per machine (a new key pair each; the token proves the machine). */
  async enroll(machines: FleetMachine[]): Promise<void> {
    await pool(machines, this.opts.enrollConcurrency ?? 16, async (m) => {
      const keys = newKeyPair();
      const res = await request(`${this.opts.url}${WATCHER_ENROLL_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ public_key: keys.publicKey }),
        dispatcher: this.dispatcher,
      });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`enrollment of ${m.machine} refused: ${res.statusCode} ${text}`);
      const reply = JSON.parse(text) as EnrollReply;
      this.watchers.push(
        new SimulatedWatcher(
          this,
          reply.machine,
          reply.username,
          reply.password,
          privateKeyOf(keys.privateKey),
          publicKeyOf(reply.server_key),
        ),
      );
    });
    await this.dispatcher.close();
  }

  /** Connects these (default: all) enrolled Watchers; resolves once each has its config. */
  async connect(which: SimulatedWatcher[] = this.watchers): Promise<void> {
    await pool(which, this.opts.connectConcurrency ?? 32, (w) => w.connect());
  }

  sum(f: (w: SimulatedWatcher) => number): number {
    return this.watchers.reduce((n, w) => n + f(w), 0);
  }

  /** Stops emitting and waits (up to `ms`) until every emitted result is acknowledged. */
  async drain(ms = 30_000): Promise<boolean> {
    for (const w of this.watchers) w.stopEmitting();
    for (const w of this.watchers) w.keepAliveOnly();
    const end = Date.now() + ms;
    while (this.sum((w) => w.unacked) > 0) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  }

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.close()));
  }
}
