import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
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
 * route's `reply.raw`. The caller attaches its own `error` listener (ws closes the socket on errors
 * by itself).
 */
export function releaseUpgrade(socket: WebSocket, res: ServerResponse): void {
  if (res.socket) res.detachSocket(res.socket);
  socket.removeAllListeners('error');
}
