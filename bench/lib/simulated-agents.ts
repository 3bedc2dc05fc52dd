/**
 * Simulated machine agents for fleet benches (quality.md T4, T5, T7, T8; issue 12) and fault
 * campaigns: many agents in ONE process, each speaking the real agent protocol
 * (src/shared/protocol.ts) to a real control plane, without spawning anything.
 *
 * What each agent does, as src/agent does it:
 * - gets its machine credential the way a real agent does: it trades a one-time enrollment token
 *   (`POST /services/machines/enrollments` mints them) at {@link ENROLL_PATH}, or it is given a
 *   machine token a provider already holds (a seeded `machines` row, as bench/lib/fleet-load.ts does);
 * - connects over TLS (the server's CA only) to `wss://…/services/agent` with
 *   `Authorization: Bearer <credential>`, says `hello` with its pending executions, and validates
 *   every server frame with the protocol's `parseMessage`;
 * - sends `heartbeat` every P (at its own phase), answers `ping` messages (ws answers ping frames);
 * - on `execute`, "runs" the script at once (no process: see {@link ScriptBehaviour}) and sends
 *   its output records (seq from 1) and then the result; keeps both in an in-memory outbox until
 *   `ack` / `result_ack`; after a reconnect says them `pending` and re-sends what was not acked;
 *   an execution id it has seen before is answered `rejected {reason: 'duplicate'}` (and its held
 *   data re-sent), never run twice;
 * - reconnects with full-jitter backoff when the server closes the socket (the Existing Machines
 *   provider does that when a deploy takes the machine: the agent comes back bound to the deploy's
 *   machine).
 *
 * How deploys reach them: register the agents as Existing Machines (enrollment tokens) and deploy
 * with a policy whose provider is an `Existing Machines` provider — the path a real fleet of
 * installed agents takes, with no test hook in the server. See {@link enrollmentTokens}.
 *
 * ```ts
 * const fleet = new AgentFleet({ url: server.url, ca });
 * await fleet.enroll(await enrollmentTokens(call, 100));   // or fleet.add([{ machine, token }])
 * await fleet.connect();                                    // every agent has said hello
 * … deploy …; fleet.counters(); await fleet.stop();
 * ```
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { Backoff } from '../../src/shared/backoff.js';
import {
  AGENT_PATH,
  DEFAULT_PING_INTERVAL_MS,
  ENROLL_PATH,
  MAX_FRAME_BYTES,
  encodeMessage,
  parseMessage,
  type AgentMessage,
  type EnrollResponse,
  type ExecuteMessage,
  type ServerMessage,
} from '../../src/shared/protocol.js';

/** What a simulated script "prints" and how it ends. */
export interface ScriptOutcome {
  /** stdout lines, sent as `output` records (default: one line naming the event). */
  lines?: string[];
  /** Default 0 (`success`); anything else is `failed`. */
  exitCode?: number;
  /** Answer after this long instead of at once (the script "runs" meanwhile). */
  delayMs?: number;
}
/** Decides each execution's outcome; the default succeeds at once with one output line. */
export type ScriptBehaviour = (message: ExecuteMessage, agent: SimulatedAgent) => ScriptOutcome;

export interface AgentFleetOptions {
  /** `https://host:port` of the control plane. */
  url: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string;
  /** Heartbeat interval P (default {@link DEFAULT_PING_INTERVAL_MS}, as the real agent). */
  heartbeatMs?: number;
  /** First reconnect backoff window (default 1000 ms, the real agent's); the cap is 60 s. */
  reconnectBaseMs?: number;
  script?: ScriptBehaviour;
  /** Enrollments / websocket handshakes in flight at once (default 16 / 32). */
  enrollConcurrency?: number;
  connectConcurrency?: number;
  /** `agentVersion` said in hello and enrollment (default `simulated`). */
  agentVersion?: string;
}

/** A machine credential: the machine's id as the agent names it in `hello`, and its token. */
export interface AgentCredential {
  machine: string;
  token: string;
}

/** Counters of the whole fleet (sums over its agents; each agent has the same fields). */
export interface FleetCounters {
  /** Connections opened (a reconnect counts again) and `hello`s sent. */
  connects: number;
  /** Closes the fleet did not ask for (server drop, deploy take-over, revocation, …). */
  drops: number;
  /** Upgrades the server refused (HTTP status instead of 101). */
  refusedUpgrades: number;
  heartbeats: number;
  pings: number;
  /** `execute` frames received, of which `duplicates` named an id seen before (answered `rejected`). */
  executes: number;
  duplicates: number;
  /** Executions answered with a result (first sending only). */
  results: number;
  /** Records and results sent again after a reconnect or a duplicate `execute`. */
  resent: number;
  acks: number;
  resultAcks: number;
  cleanups: number;
  cancels: number;
  /** Server frames that failed validation (each would be a server bug). */
  invalidFrames: number;
}

const zero = (): FleetCounters => ({
  connects: 0,
  drops: 0,
  refusedUpgrades: 0,
  heartbeats: 0,
  pings: 0,
  executes: 0,
  duplicates: 0,
  results: 0,
  resent: 0,
  acks: 0,
  resultAcks: 0,
  cleanups: 0,
  cancels: 0,
  invalidFrames: 0,
});

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** One execution's outbox: encoded records, the highest seq acked, the encoded result. */
interface Outbox {
  records: string[];
  acked: number;
  result: string | undefined;
}

const defaultScript: ScriptBehaviour = (m) => ({ lines: [`simulated ${m.event}`] });

/** One simulated agent: its credential, its socket, its outbox and its counters. */
export class SimulatedAgent {
  readonly counters: FleetCounters = zero();
  /** Every execution id this agent started (never run twice). */
  readonly started = new Set<string>();
  /** Executions whose "script" is still running (a {@link ScriptOutcome.delayMs} not yet over). */
  readonly running = new Set<string>();
  /** Executions answered whose result the server has not acknowledged yet. */
  readonly outbox = new Map<string, Outbox>();
  /** Closes with code and reason, for diagnosis. */
  readonly closes: string[] = [];
  private ws: WebSocket | undefined;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly backoff: Backoff;
  private opened: (() => void) | undefined;

  constructor(
    private readonly fleet: AgentFleet,
    readonly credential: AgentCredential,
  ) {
    this.backoff = new Backoff({ baseMs: fleet.opts.reconnectBaseMs ?? 1000 });
  }

  get machine(): string {
    return this.credential.machine;
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Connects (and keeps reconnecting); resolves once the first `hello` is sent. */
  connect(): Promise<void> {
    this.stopped = false;
    return new Promise((resolve) => {
      this.opened = resolve;
      this.open();
    });
  }

  private open(): void {
    if (this.stopped) return;
    const { opts, secureContext } = this.fleet;
    const ws = new WebSocket(`${opts.url.replace(/^http/, 'ws')}${AGENT_PATH}`, {
      headers: { authorization: `Bearer ${this.credential.token}` },
      secureContext,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 30_000,
      perMessageDeflate: false,
      followRedirects: false,
    } as WebSocket.ClientOptions & { secureContext: SecureContext });
    this.ws = ws;
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      this.counters.refusedUpgrades++;
      this.closes.push(`HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('open', () => this.onOpen());
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    ws.on('close', (code, reason) => {
      clearInterval(this.heartbeat);
      clearTimeout(this.heartbeat);
      if (this.ws === ws) this.ws = undefined;
      if (this.stopped) return;
      this.counters.drops++;
      this.closes.push(`${code} ${String(reason)}`);
      this.reconnectTimer = setTimeout(() => this.open(), this.backoff.next());
    });
  }

  private send(message: AgentMessage): boolean {
    return this.sendText(encodeMessage(message));
  }

  private sendText(text: string): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  private onOpen(): void {
    this.counters.connects++;
    this.backoff.reset();
    this.send({
      type: 'hello',
      protocol: 1,
      machine: this.machine,
      agentVersion: this.fleet.opts.agentVersion ?? 'simulated',
      pending: [...this.outbox.keys()],
      running: [...this.running],
    });
    for (const id of this.outbox.keys()) this.resend(id);
    const p = this.fleet.opts.heartbeatMs ?? DEFAULT_PING_INTERVAL_MS;
    // Each agent at its own phase, then every P.
    this.heartbeat = setTimeout(
      () => {
        this.beat();
        this.heartbeat = setInterval(() => this.beat(), p);
      },
      Math.floor(Math.random() * p),
    );
    this.opened?.();
    this.opened = undefined;
  }

  private beat(): void {
    if (this.send({ type: 'heartbeat', sentAt: Date.now() })) this.counters.heartbeats++;
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    let message: ServerMessage;
    try {
      if (isBinary) throw new Error('binary frame');
      message = parseMessage(data, 'server');
    } catch {
      this.counters.invalidFrames++;
      return;
    }
    switch (message.type) {
      case 'execute':
        return this.execute(message);
      case 'ack': {
        this.counters.acks++;
        const box = this.outbox.get(message.executionId);
        if (box) box.acked = Math.max(box.acked, message.seq);
        return;
      }
      case 'result_ack':
        this.counters.resultAcks++;
        this.outbox.delete(message.executionId);
        return;
      case 'ping':
        this.counters.pings++;
        this.send({ type: 'pong', sentAt: message.sentAt });
        return;
      case 'cancel':
        this.counters.cancels++;
        return;
      case 'cleanup':
        this.counters.cleanups++;
        return;
    }
  }

  private execute(message: ExecuteMessage): void {
    this.counters.executes++;
    const id = message.executionId;
    if (this.started.has(id)) {
      this.counters.duplicates++;
      this.send({ type: 'rejected', executionId: id, reason: 'duplicate' });
      if (this.outbox.has(id)) this.resend(id);
      return;
    }
    // Recorded as started before anything runs, as the real agent's spool does.
    this.started.add(id);
    const outcome = (this.fleet.opts.script ?? defaultScript)(message, this);
    const startedAt = Date.now();
    const finish = () => {
      this.running.delete(id);
      const lines = outcome.lines ?? [];
      const box: Outbox = { records: [], acked: 0, result: undefined };
      this.outbox.set(id, box);
      lines.forEach((line, i) => {
        box.records.push(encodeMessage({ type: 'output', executionId: id, seq: i + 1, stream: 'stdout', line }));
      });
      const exitCode = outcome.exitCode ?? 0;
      box.result = encodeMessage({
        type: 'result',
        executionId: id,
        status: exitCode === 0 ? 'success' : 'failed',
        exitCode,
        signal: null,
        truncated: false,
        startedAt,
        finishedAt: Date.now(),
        outputLines: lines.length,
        lastSeq: lines.length,
      });
      // Sent now if connected; else after the next hello (resend).
      for (const r of box.records) this.sendText(r);
      this.sendText(box.result);
      this.counters.results++;
    };
    if (!outcome.delayMs) return finish();
    this.running.add(id);
    const t = setTimeout(() => {
      this.timers.delete(t);
      finish();
    }, outcome.delayMs);
    this.timers.add(t);
  }

  /** Re-sends an execution's records after its last ack, then its result. */
  private resend(id: string): void {
    const box = this.outbox.get(id);
    if (!box) return;
    for (const r of box.records.slice(box.acked)) if (this.sendText(r)) this.counters.resent++;
    if (box.result && this.sendText(box.result)) this.counters.resent++;
  }

  /** Drops the connection without a close frame, as a killed agent would (it reconnects later unless stopped). */
  kill(): void {
    this.ws?.terminate();
  }

  /** Closes for good; what is not acknowledged stays in the outbox (the counters say how much). */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeat);
    clearTimeout(this.heartbeat);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.opened?.();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1001, 'agent stopping');
    });
  }
}

/** Many simulated agents in this process, against one control plane. */
export class AgentFleet {
  readonly agents: SimulatedAgent[] = [];
  /** One TLS context for every connection (parsing the CA once). */
  readonly secureContext: SecureContext;

  constructor(readonly opts: AgentFleetOptions) {
    this.secureContext = createSecureContext({ ca: opts.ca, minVersion: 'TLSv1.2' });
  }

  /** Adds agents whose machine credentials are already known (e.g. seeded machines rows). */
  add(credentials: AgentCredential[]): SimulatedAgent[] {
    const added = credentials.map((c) => new SimulatedAgent(this, c));
    this.agents.push(...added);
    return added;
  }

  /** Trades each one-time enrollment token for a machine credential (the real agent's first start). */
  async enroll(tokens: string[]): Promise<SimulatedAgent[]> {
    const dispatcher = new Agent({
      connect: { ca: this.opts.ca, minVersion: 'TLSv1.2' },
      connections: this.opts.enrollConcurrency ?? 16,
    });
    const credentials: AgentCredential[] = [];
    try {
      await pool(tokens, this.opts.enrollConcurrency ?? 16, async (token) => {
        const res = await request(`${this.opts.url}${ENROLL_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            token,
            hostname: `sim-${credentials.length}`,
            agentVersion: this.opts.agentVersion ?? 'simulated',
          }),
          dispatcher,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`enrollment refused: ${res.statusCode} ${text}`);
        const reply = JSON.parse(text) as EnrollResponse;
        credentials.push({ machine: reply.machine, token: reply.token });
      });
    } finally {
      await dispatcher.close();
    }
    return this.add(credentials);
  }

  /** Connects these (default: all) agents; resolves once each has sent its first `hello`. */
  async connect(which: SimulatedAgent[] = this.agents): Promise<void> {
    await pool(which, this.opts.connectConcurrency ?? 32, (a) => a.connect());
  }

  /** Sums of every agent's counters. */
  counters(): FleetCounters {
    const sum = zero();
    for (const a of this.agents) for (const k of Object.keys(sum) as (keyof FleetCounters)[]) sum[k] += a.counters[k];
    return sum;
  }

  /** Executions answered whose result the server has not acknowledged yet. */
  unacknowledged(): number {
    return this.agents.reduce((n, a) => n + a.outbox.size, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
  }
}

/** The part of a REST client {@link enrollmentTokens} needs (test/helpers/server.ts `call`). */
export type Call = (
  method: string,
  path: string,
  opts?: { body?: unknown },
) => Promise<{ status: number; body: any; text: string }>;

/**
 * Mints `n` one-time enrollment tokens (`POST /services/machines/enrollments`, as `ebcli machines
 * register` does) for the caller's workspace or `owner`, with `claims`.
 */
export async function enrollmentTokens(
  call: Call,
  n: number,
  opts: { claims?: string[]; owner?: string; concurrency?: number } = {},
): Promise<string[]> {
  const tokens: string[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    opts.concurrency ?? 8,
    async () => {
      const res = await call('POST', '/services/machines/enrollments', {
        body: { claims: opts.claims ?? [], ...(opts.owner ? { owner: opts.owner } : {}) },
      });
      if (res.status !== 201) throw new Error(`enrollment token refused: ${res.status} ${res.text}`);
      tokens.push(res.body.token as string);
    },
  );
  return tokens;
}
