import type { SecureContext } from 'node:tls';
import WebSocket from 'ws';
import { Backoff, type BackoffOptions } from '../shared/backoff.js';
import { sharedTrust } from '../shared/tls-trust.js';
import {
  CloseCode,
  encodeMessage,
  MAX_FRAME_BYTES,
  parseMessage,
  ProtocolError,
  type AgentMessage,
  type ServerMessage,
} from '../shared/protocol.js';
import type { AgentLogger } from './logger.js';
import { proxyForLog, tunnelAgent } from './proxy.js';

export interface ConnectionOptions {
  /** Full `wss://…/services/agent` URL. */
  url: string;
  token: string;
  /** The configured CA (PEM), trusted next to the system roots and NODE_EXTRA_CA_CERTS. */
  ca?: string;
  /** A context shared with the process's other connections; else the process's trust for `ca` (shared/tls-trust.ts). */
  secureContext?: SecureContext;
  /** HTTP proxy URL to tunnel through with CONNECT (proxy.ts); undefined connects directly. */
  proxy?: string;
  /** Heartbeat interval P; a server silent for 2P + 5 s counts as dead. */
  pingIntervalMs: number;
  backoff?: BackoffOptions;
  log: AgentLogger;
  onOpen(): void;
  onMessage(message: ServerMessage): void;
  /** A frame from the server failed validation (the agent may answer `rejected`). */
  onInvalid(error: ProtocolError): void;
}

/**
 * The agent's outbound websocket: connects, reconnects with full-jitter backoff, sends heartbeats
 * every P and drops a connection on which the server stayed silent (no ping frame, `ping` message
 * or any other message) for 2P + 5 s. Never throws from callbacks; every socket has an error listener.
 */
export class AgentConnection {
  private ws: WebSocket | undefined;
  private readonly backoff: Backoff;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private openedAt = 0;
  /**
   * Built once: a context per attempt parses every trusted root again (about 0.1 s of CPU and
   * ~1 MB of native memory each), which made an agent reconnecting to a dead control plane grow.
   */
  private readonly secureContext: SecureContext;

  private readonly proxyAgent: ReturnType<typeof tunnelAgent> | undefined;

  constructor(private readonly opts: ConnectionOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.proxyAgent = opts.proxy ? tunnelAgent(opts.proxy) : undefined;
    this.secureContext = opts.secureContext ?? sharedTrust(opts.ca);
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Bytes queued on the socket and not yet written. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  start(): void {
    this.connect();
  }

  /** Sends when connected; returns false (message not sent) otherwise. */
  send(message: AgentMessage): boolean {
    return this.sendText(encodeMessage(message));
  }

  /** Sends an already-encoded message (spooled records are stored encoded). */
  sendText(text: string): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(text);
    return true;
  }

  /** Drops the current connection (the agent reconnects after a backoff delay). */
  drop(code: number = CloseCode.goingAway, reason = ''): void {
    this.ws?.close(code, reason);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(CloseCode.goingAway, 'agent stopping');
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const { opts } = this;
    // ws hands its options to tls.connect, which takes a prebuilt context (its types omit it).
    const options: WebSocket.ClientOptions & { secureContext: SecureContext } = {
      headers: { authorization: `Bearer ${opts.token}` },
      secureContext: this.secureContext,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
      perMessageDeflate: false,
      followRedirects: false,
      ...(this.proxyAgent ? { agent: this.proxyAgent } : {}),
    };
    const ws = new WebSocket(opts.url, options);
    this.ws = ws;
    ws.on('error', (err) => opts.log('warn', 'agent connection error', { error: err.message }));
    ws.on('unexpected-response', (_req, res) => {
      opts.log('warn', 'control plane refused the agent connection', { status: res.statusCode });
      ws.terminate();
    });
    ws.on('open', () => {
      this.openedAt = Date.now();
      opts.log('info', 'agent connected', {
        url: opts.url,
        ...(opts.proxy ? { proxy: proxyForLog(opts.proxy) } : {}),
      });
      this.alive();
      this.heartbeatTimer = setInterval(
        () => this.send({ type: 'heartbeat', sentAt: Date.now() }),
        opts.pingIntervalMs,
      );
      this.safely(() => opts.onOpen());
    });
    ws.on('ping', () => this.alive());
    ws.on('pong', () => this.alive());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.alive();
      let message: ServerMessage;
      try {
        if (isBinary) throw new ProtocolError('binary frames are not part of the protocol', CloseCode.invalidData);
        message = parseMessage(data, 'server');
      } catch (err) {
        const error = err instanceof ProtocolError ? err : new ProtocolError('unreadable frame', CloseCode.policy);
        opts.log('warn', 'invalid message from the control plane', { error: error.message });
        this.safely(() => opts.onInvalid(error));
        return;
      }
      if (message.type === 'ping') this.send({ type: 'pong', sentAt: message.sentAt });
      else this.safely(() => opts.onMessage(message));
    });
    ws.on('close', (code) => {
      clearInterval(this.heartbeatTimer);
      clearTimeout(this.silenceTimer);
      if (this.ws === ws) this.ws = undefined;
      if (this.stopped) return;
      // A connection that stayed up for a while proves the server is back: start the backoff over.
      if (this.openedAt && Date.now() - this.openedAt >= opts.pingIntervalMs) this.backoff.reset();
      this.openedAt = 0;
      const delay = this.backoff.next();
      opts.log('info', 'agent disconnected', { code, reconnectInMs: delay });
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private alive(): void {
    clearTimeout(this.silenceTimer);
    const ws = this.ws;
    this.silenceTimer = setTimeout(
      () => {
        this.opts.log('warn', 'control plane silent; dropping the connection');
        ws?.terminate();
      },
      2 * this.opts.pingIntervalMs + 5000,
    );
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log('error', 'agent handler failed', { error: (err as Error).message });
    }
  }
}
