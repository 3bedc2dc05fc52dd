/**
 * Idle machine agents for memory benches (T4): many agent connections in ONE process, each
 * speaking the real agent protocol (src/shared/protocol.ts) with its machine's real token: wss
 * upgrade with `Authorization: Bearer <machine token>`, `hello` naming its machine, a `heartbeat`
 * every P, `pong` to the server's `ping` messages (ws ping frames are answered by ws itself). It
 * runs no scripts: an idle agent holds no execution, so it never receives `execute`.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import WebSocket from 'ws';
import {
  AGENT_PATH,
  DEFAULT_PING_INTERVAL_MS,
  PROTOCOL_VERSION,
  encodeMessage,
  parseMessage,
} from '../../src/shared/protocol.js';

export interface IdleAgentMachine {
  machine: string;
  /** The machine token its provider gave it. */
  token: string;
}

export interface IdleAgentOptions {
  /** `https://host:port` of the control plane. */
  url: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string;
  /** Heartbeat interval P (default the protocol's). */
  heartbeatMs?: number;
  /** Websocket handshakes in flight at once (default 32). */
  concurrency?: number;
}

/** One idle agent connection. */
export class IdleAgent {
  ws: WebSocket | undefined;
  heartbeats = 0;
  unexpectedCloses = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly m: IdleAgentMachine) {}

  /** Connects, says hello, and starts heartbeating; resolves once the socket is open and hello sent. */
  connect(url: string, secureContext: SecureContext, heartbeatMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${AGENT_PATH}`, {
        secureContext,
        headers: { authorization: `Bearer ${this.m.token}` },
        perMessageDeflate: false,
        // ws hands unknown options to tls.connect: one shared context instead of one per agent.
      } as WebSocket.ClientOptions);
      this.ws = ws;
      ws.once('unexpected-response', (_req, res) => reject(new Error(`${this.m.machine}: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(
          encodeMessage({
            type: 'hello',
            protocol: PROTOCOL_VERSION,
            machine: this.m.machine,
            agentVersion: 'bench-idle',
            pending: [],
            running: [],
          }),
        );
        // Spread the fleet's heartbeats over the interval, as real agents started at random times are.
        this.timer = setTimeout(() => this.beat(heartbeatMs), Math.random() * heartbeatMs);
        resolve();
      });
      ws.on('message', (data) => {
        const msg = parseMessage(data as Buffer, 'server');
        if (msg.type === 'ping') ws.send(encodeMessage({ type: 'pong', sentAt: Date.now() }));
      });
      ws.on('close', () => {
        clearTimeout(this.timer);
        if (this.ws === ws) this.unexpectedCloses += 1;
      });
    });
  }

  private beat(heartbeatMs: number): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(encodeMessage({ type: 'heartbeat', sentAt: Date.now() }));
    this.heartbeats += 1;
    this.timer = setTimeout(() => this.beat(heartbeatMs), heartbeatMs);
  }

  close(): void {
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.terminate();
  }
}

/** A fleet of idle agents sharing one TLS context. */
export class IdleAgentFleet {
  readonly agents: IdleAgent[];
  private readonly secureContext: SecureContext;

  constructor(
    machines: IdleAgentMachine[],
    private readonly opts: IdleAgentOptions,
  ) {
    this.agents = machines.map((m) => new IdleAgent(m));
    this.secureContext = createSecureContext({ ca: opts.ca });
  }

  /** Connects `agents` (default all), `concurrency` handshakes at a time. */
  async connect(agents = this.agents): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < agents.length) {
        const a = agents[next++]!;
        await a.connect(this.opts.url, this.secureContext, this.opts.heartbeatMs ?? DEFAULT_PING_INTERVAL_MS);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 32, agents.length) }, worker));
  }

  sum(f: (a: IdleAgent) => number): number {
    return this.agents.reduce((n, a) => n + f(a), 0);
  }

  close(): void {
    for (const a of this.agents) a.close();
  }
}
