import type { SecureContext } from 'node:tls';
import { createHash, type KeyObject } from 'node:crypto';
import type { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { extractMetrics, type MetricFormat } from '../shared/monitoring/metrics-parse.js';
import {
  privateKeyOf,
  publicKeyOf,
  seal,
  SequenceGuard,
  verifySignature,
  type Refusal,
} from '../shared/monitoring/signing.js';
import {
  checkAck,
  checkConfig,
  checkRun,
  parseEnvelope,
  WATCHER_PATH,
  type ConfigPayload,
  type WatcherCheck,
  type WatcherResult,
} from '../shared/monitoring/watcher-protocol.js';
import { runBuiltin } from './builtins.js';
import { ensureIdentity } from './enroll.js';
import { Backoff } from '../shared/backoff.js';
import { sharedTrust } from '../shared/tls-trust.js';
import { runCommand } from './runner.js';
import { Spool } from './spool.js';
import { StateDir, type Counters, type Identity } from './state.js';
import type { CommandWrap } from '../shared/sandbox-mounts.js';

export interface WatcherOptions {
  /** `https://host:port` of the control plane. */
  server: string;
  ca?: string;
  /** A TLS context shared with the process's other connections (it carries the trusted CAs); else `ca`. */
  secureContext?: SecureContext;
  /** The HTTP agent to connect through (a CONNECT tunnel when the host goes through a proxy). */
  agent?: Agent;
  stateDir: string;
  /** The machine token, read only when enrolling. */
  machineToken: () => string;
  /** Most results kept on disk while disconnected (default 10,000). */
  spoolMax?: number;
  /** Server frames must be sent within this of our clock (default 60 s). */
  toleranceMs?: number;
  /** Environment of check commands (default: the Watcher's own). */
  commandEnv?: NodeJS.ProcessEnv;
  /** Starts check commands inside the machine's sandbox (the host agent's machines). */
  wrapCommand?: CommandWrap;
  /** Where the Watcher reports what it does (library code never prints). */
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;
}

const BATCH = 500;

/** Runs the checks the server assigns to this machine and sends their results, signed. */
export class Watcher {
  private readonly state: StateDir;
  private identity!: Identity;
  private key!: KeyObject;
  private serverKey!: KeyObject;
  private counters!: Counters;
  private spool!: Spool;
  private guard!: SequenceGuard;
  private ws: WebSocket | undefined;
  private ready = false;
  private stopped = false;
  private readonly inFlight = new Map<number, WatcherResult[]>();
  private readonly timers = new Map<string, { version: number; timer: NodeJS.Timeout; running: boolean }>();
  private keepalive: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  /** Reconnect waits: the shared full-jitter backoff, 250 ms doubling to 5 s. */
  private readonly backoff = new Backoff({ baseMs: 250, capMs: 5000 });
  private readonly aborter = new AbortController();
  /** The config in force (tests read it). */
  config: ConfigPayload | undefined;

  constructor(private readonly opts: WatcherOptions) {
    this.state = new StateDir(opts.stateDir);
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) {
    this.opts.log?.(level, msg, data);
  }

  /** The given context, else the process's one trust for the configured CA (shared/tls-trust.ts). */
  private trust(): SecureContext {
    return this.opts.secureContext ?? sharedTrust(this.opts.ca);
  }

  get machine(): string {
    return this.identity.machine;
  }

  async start(): Promise<void> {
    const { identity, privateKey } = await ensureIdentity(
      this.state,
      this.opts.server,
      { secureContext: this.trust() },
      this.opts.machineToken,
      this.opts.agent,
    );
    this.identity = identity;
    this.key = privateKeyOf(privateKey);
    this.serverKey = publicKeyOf(identity.serverKey);
    this.counters = this.state.readCounters();
    this.guard = new SequenceGuard(this.counters.serverSeq, this.opts.toleranceMs ?? 60_000);
    this.spool = new Spool(this.state, this.opts.spoolMax ?? 10_000, (n) => {
      this.counters.dropped += n;
      this.state.writeCounters(this.counters);
      this.log('warn', 'spool full: oldest results dropped', { dropped: n });
    });
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const auth = Buffer.from(`${this.identity.username}:${this.identity.password}`).toString('base64');
    const url = `${this.opts.server.replace(/^http/, 'ws')}${WATCHER_PATH}`;
    // ws passes TLS options through to tls.connect, though its types do not list them.
    const tls = { secureContext: this.trust() };
    const ws = new WebSocket(url, {
      ...tls,
      ...(this.opts.agent ? { agent: this.opts.agent } : {}),
      headers: { authorization: `Basic ${auth}` },
      maxPayload: 8 * 1024 * 1024,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.backoff.reset();
      this.send('hello', { version: '1', ledger: this.ledger() });
    });
    ws.on('message', (data) => this.onFrame(String(data)));
    ws.on('close', (code, reason) => {
      this.ready = false;
      if (this.ws === ws) this.ws = undefined;
      // Results sent but not acknowledged go back to the spool, to be sent again.
      const pending = [...this.inFlight.values()].flat();
      this.inFlight.clear();
      if (pending.length) this.spool.unshift(pending);
      this.log('warn', 'disconnected', { code, reason: String(reason) });
      if (!this.stopped) {
        this.reconnect = setTimeout(() => this.connect(), this.backoff.next());
      }
    });
    ws.on('error', (err) => this.log('warn', 'connection error', { message: err.message }));
  }

  private ledger() {
    return { emitted: this.counters.emitted, dropped: this.counters.dropped };
  }

  /** Signs and sends a frame with the next seq (persisted first, so a restart never reuses one). */
  private send(type: string, payload: unknown): number | undefined {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return undefined;
    this.counters.seq += 1;
    this.state.writeCounters(this.counters);
    const e = seal(this.key, {
      type,
      machine: this.identity.machine,
      seq: this.counters.seq,
      sentAt: Date.now(),
      payload: JSON.stringify(payload),
    });
    this.ws.send(JSON.stringify(e));
    return e.seq;
  }

  private refuse(reason: Refusal, what: string): void {
    this.log('warn', 'server frame refused', { reason, what });
    this.send('refused', { reason, what });
  }

  private onFrame(text: string): void {
    const e = parseEnvelope(text);
    if (!e) return this.refuse('invalid', 'frame');
    if (!e.sig) return this.refuse('unsigned', e.type);
    if (e.machine !== this.identity.machine) return this.refuse('impersonation', e.type);
    if (!verifySignature(this.serverKey, e)) return this.refuse('bad-signature', e.type);
    const order = this.guard.check(e);
    if (order) return this.refuse(order, e.type);
    let payload: unknown;
    try {
      payload = JSON.parse(e.payload);
    } catch {
      return this.refuse('invalid', e.type);
    }
    this.guard.accept(e);
    this.counters.serverSeq = e.seq;
    this.state.writeCounters(this.counters);
    if (e.type === 'config' && checkConfig.Check(payload)) return this.applyConfig(payload);
    if (e.type === 'run' && checkRun.Check(payload)) {
      for (const check of this.config?.checks ?? []) if (payload.checks.includes(check.id)) this.runOnce(check);
      return;
    }
    if (e.type === 'ack' && checkAck.Check(payload)) {
      for (const seq of [...this.inFlight.keys()]) if (seq <= payload.seq) this.inFlight.delete(seq);
      return this.flush();
    }
    this.refuse('invalid', e.type);
  }

  private applyConfig(config: ConfigPayload): void {
    this.config = config;
    const wanted = new Map(config.checks.map((c) => [c.id, c]));
    for (const [id, t] of this.timers) {
      if (wanted.get(id)?.version !== t.version) {
        clearTimeout(t.timer);
        this.timers.delete(id);
      }
    }
    for (const check of config.checks) if (!this.timers.has(check.id)) this.schedule(check);
    clearInterval(this.keepalive);
    this.keepalive = setInterval(() => this.send('keepalive', {}), config.keepaliveMs);
    this.ready = true;
    this.log('info', 'config applied', { checks: config.checks.length });
    this.flush();
  }

  /** First run after a splay (stable per machine and check, within one interval), then every interval. */
  private schedule(check: WatcherCheck): void {
    const intervalMs = check.interval * 1000;
    const hash = createHash('sha256').update(`${this.identity.machine}/${check.id}`).digest().readUInt32BE(0);
    const entry = { version: check.version, timer: undefined as unknown as NodeJS.Timeout, running: false };
    const tick = () => {
      entry.timer = setTimeout(tick, intervalMs);
      this.runOnce(check);
    };
    entry.timer = setTimeout(tick, hash % intervalMs);
    this.timers.set(check.id, entry);
  }

  /** Runs a check unless a run of it is still going. */
  private runOnce(check: WatcherCheck): void {
    const entry = this.timers.get(check.id);
    if (!entry || entry.running) return;
    entry.running = true;
    void this.run(check).finally(() => (entry.running = false));
  }

  private async run(check: WatcherCheck): Promise<void> {
    const executed = Date.now();
    let result: WatcherResult;
    if (check.builtin) {
      const o = await runBuiltin(check);
      result = {
        n: 0, // numbered when emitted
        check: check.id,
        status: o.status,
        output: o.output,
        executed,
        durationMs: Date.now() - executed,
        metrics: o.metrics,
      };
    } else {
      const o = await runCommand(
        check.command ?? 'exit 3',
        check.timeout * 1000,
        this.opts.commandEnv ?? process.env,
        this.aborter.signal,
        this.opts.wrapCommand,
      );
      const metrics = extractMetrics(check.output_metric_format as MetricFormat | undefined, o.output);
      result = {
        n: 0,
        check: check.id,
        status: o.status,
        output: o.output,
        executed,
        durationMs: o.durationMs,
        metrics,
      };
    }
    if (this.stopped) return;
    this.counters.emitted += 1;
    result.n = this.counters.emitted;
    this.state.writeCounters(this.counters);
    this.spool.push(result);
    this.flush();
  }

  /** Sends spooled results while connected and configured, at most one batch in flight. */
  private flush(): void {
    if (!this.ready || this.inFlight.size > 0 || this.spool.size === 0) return;
    const batch = this.spool.take(BATCH);
    const seq = this.send('results', { results: batch, ledger: this.ledger() });
    if (seq === undefined) this.spool.unshift(batch);
    else this.inFlight.set(seq, batch);
  }

  /** Results waiting on disk (tests). */
  get spooled(): number {
    return this.spool.size;
  }

  get ledgerNow(): { emitted: number; dropped: number } {
    return this.ledger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.aborter.abort();
    clearTimeout(this.reconnect);
    clearInterval(this.keepalive);
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      // Resolves once the close handler has put in-flight results back in the spool (on disk).
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      ws.close(1000, 'watcher stopping');
      await Promise.race([closed, sleep(2000, undefined, { ref: false })]);
    }
  }
}
