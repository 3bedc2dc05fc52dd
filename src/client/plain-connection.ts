import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Reused only this soon after its last response: the server closes idle connections after 4 s. */
const REUSE_WITHIN_MS = 1000;

type AnyAgent = (HttpAgent | HttpsAgent) & { freeSockets: NodeJS.ReadOnlyDict<Socket[]> };

/**
 * The one kept-alive connection of a client's plain requests (transport.ts `plainRequest`). A
 * command's requests follow each other (`deploy`: profile, box, stack, then the deploy itself),
 * and a new connection for each costs a TCP and a TLS handshake. Node's agent keeps the
 * connection between requests; a new one, when needed, is the socket the pinned check already
 * accepted ({@link PlainConnection.offer}), so nothing is sent before the server was verified.
 */
export class PlainConnection {
  private agent: AnyAgent | undefined;
  private secure = false;
  private pinned: TLSSocket | undefined;
  private readonly idleSince = new WeakMap<Socket, number>();
  /** Sockets the pinned check accepted: only these are reused without naming TLS options again. */
  private readonly verified = new WeakSet<Socket>();

  /** The agent for a request to an origin of this scheme (one client talks to one origin). */
  agentFor(secure: boolean): AnyAgent {
    if (this.agent && this.secure === secure) return this.agent;
    this.destroy();
    const mod = createRequire(import.meta.url)(secure ? 'node:https' : 'node:http') as typeof import('node:https');
    const pinnedSocket = () => {
      const s = this.pinned;
      this.pinned = undefined;
      return s;
    };
    class Connections extends mod.Agent {
      override createConnection(...args: Parameters<HttpsAgent['createConnection']>) {
        return pinnedSocket() ?? super.createConnection(...args);
      }
    }
    const agent = new Connections({ keepAlive: true }) as unknown as AnyAgent;
    agent.on('free', (socket: Socket) => this.idleSince.set(socket, Date.now()));
    this.agent = agent;
    this.secure = secure;
    return agent;
  }

  /** Whether the next request can go over a kept connection; stale ones are closed first. */
  reusable(): boolean {
    const free = Object.values(this.agent?.freeSockets ?? {}).flatMap((list) => list ?? []);
    const now = Date.now();
    const fresh = free.filter((s) => this.verified.has(s) && now - (this.idleSince.get(s) ?? 0) < REUSE_WITHIN_MS);
    for (const s of free) if (this.verified.has(s) && !fresh.includes(s)) s.destroy();
    return fresh.length > 0;
  }

  /** The socket (already verified) the agent uses for its next new connection. */
  offer(socket: TLSSocket): void {
    this.pinned?.destroy();
    this.pinned = socket;
    this.verified.add(socket);
  }

  destroy(): void {
    this.pinned?.destroy();
    this.pinned = undefined;
    this.agent?.destroy();
    this.agent = undefined;
  }
}
