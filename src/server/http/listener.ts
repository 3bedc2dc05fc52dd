import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Timeouts and caps of the public listener (quality.md A2 "Slowloris", B3). Node 20's defaults
 * are headersTimeout 60 s, requestTimeout 300 s, keepAliveTimeout 5 s (fastify's 72 s); a
 * client trickling one header byte at a time holds a socket until headersTimeout, checked every
 * `checkIntervalMs`.
 */
export interface ListenerTunables {
  /** Time to receive the complete request head. */
  headersTimeoutMs: number;
  /** Time to receive the complete request, body included (blob uploads are ≤ 10 MB). */
  requestTimeoutMs: number;
  /** Idle time of a kept-alive connection between requests. */
  keepAliveTimeoutMs: number;
  /** Inactivity timeout of any socket. */
  idleTimeoutMs: number;
  /** Time to complete the TLS handshake. */
  handshakeTimeoutMs: number;
  /** How often Node checks the header and request timeouts. */
  checkIntervalMs: number;
  /** Sockets per client address that have not (yet) authenticated; more are closed at accept. */
  maxUnauthenticatedPerAddress: number;
}

export const DEFAULT_LISTENER: ListenerTunables = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 4_000,
  idleTimeoutMs: 60_000,
  handshakeTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
  maxUnauthenticatedPerAddress: 256,
};

export const ENV_LISTENER: Record<keyof ListenerTunables, string> = {
  headersTimeoutMs: 'EBCLI_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'EBCLI_REQUEST_TIMEOUT_MS',
  keepAliveTimeoutMs: 'EBCLI_KEEPALIVE_TIMEOUT_MS',
  idleTimeoutMs: 'EBCLI_IDLE_TIMEOUT_MS',
  handshakeTimeoutMs: 'EBCLI_TLS_HANDSHAKE_TIMEOUT_MS',
  checkIntervalMs: 'EBCLI_TIMEOUT_CHECK_INTERVAL_MS',
  maxUnauthenticatedPerAddress: 'EBCLI_MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS',
};

/** Listener tunables set in the environment (positive numbers only), for servers run as processes. */
export function listenerFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ListenerTunables> {
  const out: Partial<ListenerTunables> = {};
  for (const [key, name] of Object.entries(ENV_LISTENER) as [keyof ListenerTunables, string][]) {
    const value = Number(env[name]);
    if (env[name] && Number.isFinite(value) && value > 0) out[key] = value;
  }
  return out;
}

interface Tracked {
  address: string;
  socket: Socket;
  onClose: () => void;
}

/**
 * Counts the sockets of each client address that have not authenticated and closes, at accept,
 * those past the cap. A socket leaves the count when it closes or when a request on it
 * authenticates (a user or machine token), so authenticated clients are never capped here.
 */
export class UnauthenticatedSocketCap {
  private readonly perAddress = new Map<string, number>();
  private readonly sockets = new Map<string, Tracked>();
  /** Sockets closed at accept because their address was over the cap. */
  refused = 0;

  constructor(private readonly max: number) {}

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '?';
    const n = this.perAddress.get(address) ?? 0;
    if (n >= this.max) {
      this.refused += 1;
      socket.destroy();
      return;
    }
    this.perAddress.set(address, n + 1);
    const key = `${address}|${socket.remotePort}`;
    const onClose = () => {
      this.sockets.delete(key);
      this.release(address);
    };
    this.sockets.set(key, { address, socket, onClose });
    socket.once('close', onClose);
  }

  private release(address: string): void {
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, n);
  }

  /**
   * Marks the connection a request arrived on as authenticated: it is no longer tracked at all
   * (an agent's or a tail's socket lives for days; nothing of it stays here).
   */
  authenticated(socket: { remoteAddress?: string; remotePort?: number }): void {
    const key = `${socket.remoteAddress ?? '?'}|${socket.remotePort}`;
    const tracked = this.sockets.get(key);
    if (!tracked) return;
    this.sockets.delete(key);
    tracked.socket.removeListener('close', tracked.onClose);
    this.release(tracked.address);
  }

  /** Unauthenticated sockets of an address right now. */
  count(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }
}

/** Node's https/http server options for the tunables (fastify sets keepAlive and request timeouts itself). */
export const serverOptions = (t: ListenerTunables) => ({
  headersTimeout: t.headersTimeoutMs,
  requestTimeout: t.requestTimeoutMs,
  connectionsCheckingInterval: t.checkIntervalMs,
  handshakeTimeout: t.handshakeTimeoutMs,
});
