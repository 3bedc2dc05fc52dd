import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

declare module 'fastify' {
  interface FastifyRequest {
    /** A long-lived websocket route's upgrade response, kept by its onRequest for {@link releaseUpgrade}. */
    upgradeResponse?: ServerResponse;
  }
}
import { MAX_FRAME_BYTES } from '../../shared/protocol.js';

/**
 * Registers @fastify/websocket once for the whole app, whichever websocket route comes first
 * (event tails, the agent hub). Upgrades go through fastify's routing, so the `onRequest` auth
 * hook and each route's checks answer 401/403/400 before any 101. Frame limits follow
 * quality.md A1: `maxPayload` 1 MiB (routes may lower it per socket), explicit fragment caps.
 */
export async function ensureWebsocket(app: FastifyInstance): Promise<void> {
  if (app.hasDecorator('websocketServer')) return;
  await app.register(websocket, {
    options: {
      maxPayload: MAX_FRAME_BYTES,
      maxFragments: 1024,
      maxBufferedChunks: 16 * 1024,
      perMessageDeflate: false,
    } as Record<string, unknown>,
  });
}

/**
 * Lets a long-lived websocket drop what it would otherwise keep of its upgrade request for as long
 * as it lives (about 4 KiB per connection, measured by bench/t04-idle-agents.ts): @fastify/websocket
 * assigns a ServerResponse to the TLS socket to route the upgrade through fastify (the socket keeps
 * it, and through it the IncomingMessage, fastify's Request and Reply, their headers and log
 * child), and its `error` listener on the websocket closes over the Request and Reply. `res` is the
 * route's `reply.raw` (kept in `req.upgradeResponse` by its onRequest). Errors are then ignored: ws
 * closes the socket on an error by itself, and the session sees the close.
 */
export function releaseUpgrade(socket: WebSocket, res: ServerResponse | undefined): void {
  if (res?.socket) res.detachSocket(res.socket);
  socket.removeAllListeners('error');
  socket.on('error', ignore);
}

/** The one `error` listener of a released websocket (no closure per connection). */
const ignore = (): void => undefined;
