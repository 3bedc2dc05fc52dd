/**
 * A test stand-in for the control plane's agent endpoint: a real HTTPS server (certificate from
 * src/server/tls.ts) with a real `ws` WebSocketServer that authenticates the upgrade, validates
 * every frame with the shared protocol and records what the agent sent. It is NOT the server's
 * websocket hub; it plays the server side of src/shared/protocol.ts so the agent can be tested alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ensureTls } from '../../src/server/tls/tls.js';
import { dataFiles } from '../../src/shared/paths.js';
import {
  AGENT_PATH,
  encodeMessage,
  MAX_FRAME_BYTES,
  parseMessage,
  ProtocolError,
  type AgentMessage,
  type ExecuteMessage,
  type ExecutionRecord,
  type HelloMessage,
  type ResultMessage,
  type ServerMessage,
} from '../../src/shared/protocol.js';

export interface ControlPlaneOptions {
  token: string;
  pingIntervalMs: number;
  /** Send `ack` for every record and `result_ack` for every result (default true). */
  autoAck?: boolean;
}

export class FakeControlPlane {
  /** Every message received, duplicates included, in arrival order. */
  readonly received: AgentMessage[] = [];
  readonly refusedUpgrades: number[] = [];
  readonly protocolErrors: string[] = [];
  connections = 0;
  autoAck: boolean;
  private socket: WebSocket | undefined;
  private readonly records = new Map<string, Map<number, ExecutionRecord>>();
  private readonly pingers = new Map<WebSocket, NodeJS.Timeout>();
  private onMessage?: (message: AgentMessage, socket: WebSocket) => void;

  private constructor(
    private readonly https: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
    readonly caFile: string,
    private readonly dir: string,
    opts: ControlPlaneOptions,
  ) {
    this.autoAck = opts.autoAck ?? true;
  }

  static async start(opts: ControlPlaneOptions): Promise<FakeControlPlane> {
    const dir = mkdtempSync(join(tmpdir(), 'ebcli-cp-'));
    const tls = await ensureTls(dir);
    const https = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const port = (https.address() as AddressInfo).port;
    const cp = new FakeControlPlane(https, wss, `https://127.0.0.1:${port}`, dataFiles(dir).caCert, dir, opts);
    https.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      if (path !== AGENT_PATH || req.headers.authorization !== `Bearer ${opts.token}`) {
        cp.refusedUpgrades.push(Date.now());
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => cp.accept(ws, opts.pingIntervalMs));
    });
    return cp;
  }

  private accept(ws: WebSocket, pingIntervalMs: number): void {
    this.connections++;
    this.socket = ws;
    this.pingers.set(
      ws,
      setInterval(() => ws.ping(), pingIntervalMs),
    );
    ws.on('close', () => {
      clearInterval(this.pingers.get(ws));
      this.pingers.delete(ws);
    });
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      let message: AgentMessage;
      try {
        message = parseMessage(data, 'agent');
      } catch (err) {
        this.protocolErrors.push((err as ProtocolError).message);
        ws.close((err as ProtocolError).closeCode);
        return;
      }
      this.received.push(message);
      if ('seq' in message) {
        const map = this.records.get(message.executionId) ?? new Map<number, ExecutionRecord>();
        if (!map.has(message.seq)) map.set(message.seq, message);
        this.records.set(message.executionId, map);
        if (this.autoAck) this.send({ type: 'ack', executionId: message.executionId, seq: message.seq });
      }
      if (message.type === 'result' && this.autoAck)
        this.send({ type: 'result_ack', executionId: message.executionId });
      this.onMessage?.(message, ws);
    });
  }

  /** Called for every valid message (after it is recorded). */
  tap(fn: (message: AgentMessage, socket: WebSocket) => void): void {
    this.onMessage = fn;
  }

  send(message: ServerMessage): boolean {
    if (!this.socket || this.socket.readyState !== this.socket.OPEN) return false;
    this.socket.send(encodeMessage(message));
    return true;
  }

  /** Cuts the current connection without a close handshake. */
  drop(): void {
    this.socket?.terminate();
  }

  /** Goes silent on the current connection (no pings, stops reading), like a half-open TCP peer. */
  silence(): void {
    const ws = this.socket;
    if (!ws) return;
    clearInterval(this.pingers.get(ws));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  /** Records of an execution after dedupe by seq, in seq order. */
  recordsOf(executionId: string): ExecutionRecord[] {
    return [...(this.records.get(executionId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** Output lines (stdout and stderr) of an execution after dedupe. */
  linesOf(executionId: string, stream?: 'stdout' | 'stderr'): string[] {
    return this.recordsOf(executionId)
      .filter((r) => r.type === 'output' && (!stream || r.stream === stream))
      .map((r) => (r.type === 'output' ? r.line : ''));
  }

  resultsOf(executionId: string): ResultMessage[] {
    return this.received.filter((m): m is ResultMessage => m.type === 'result' && m.executionId === executionId);
  }

  hellos(): HelloMessage[] {
    return this.received.filter((m): m is HelloMessage => m.type === 'hello');
  }

  /** Polls until `fn` returns a truthy value. */
  async waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = fn();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits for the agent's `hello` number `n` (1-based) and returns it. */
  waitForHello(n = 1): Promise<HelloMessage> {
    return this.waitFor(() => this.hellos()[n - 1], 10_000, `hello #${n}`);
  }

  waitForResult(executionId: string, timeoutMs = 15_000): Promise<ResultMessage> {
    return this.waitFor(() => this.resultsOf(executionId)[0], timeoutMs, `result of ${executionId}`);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.https.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let counter = 0;
/** A minimal valid `execute` for tests; override any field. */
export function executeMessage(overrides: Partial<ExecuteMessage> = {}): ExecuteMessage {
  counter++;
  return {
    type: 'execute',
    executionId: `ex-${process.pid}-${Date.now()}-${counter}`,
    operationId: `op-${counter}`,
    instanceId: 'i-test01',
    event: 'configure',
    scope: '',
    boxName: 'web',
    template: 'echo hello',
    context: {},
    env: {},
    secrets: [],
    timeoutSeconds: 30,
    ...overrides,
  };
}
