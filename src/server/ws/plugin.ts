import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
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
