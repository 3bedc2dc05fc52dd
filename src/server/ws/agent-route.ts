import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AGENT_PATH } from '../../shared/protocol.js';
import { unauthorized } from '../http/errors.js';
import { errors } from '../http/schemas.js';
import type { Db } from '../store/db.js';
import { getRegisteredMachineByToken } from './registered-agent.js';
import { machineForToken, type Machine } from '../workflows/store/machines.js';
import type { AgentHub } from './agent-hub.js';
import { ensureWebsocket, releaseUpgrade } from './plugin.js';

declare module 'fastify' {
  interface FastifyRequest {
    agentMachine?: Machine;
  }
}

/** Machine tokens come only as `Authorization: Bearer` (never in the query string). */
function bearer(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  const match = typeof auth === 'string' ? /^Bearer\s+(\S{1,512})\s*$/i.exec(auth) : null;
  return match?.[1];
}

/**
 * `GET /services/agent` (websocket): the agent channel. The machine token is checked in
 * `onRequest`, before the upgrade, so a refused agent gets a 401 and never a 101.
 */
export async function agentRoute(app: FastifyInstance, db: Db, hub: AgentHub): Promise<void> {
  await ensureWebsocket(app);
  app.route({
    method: 'GET',
    url: AGENT_PATH,
    config: { auth: 'agent' },
    schema: {
      tags: ['agents'],
      summary: 'Agent channel: websocket upgrade with Authorization: Bearer <machine token> (src/shared/protocol.ts)',
      response: { 426: Type.Object({ message: Type.String() }), ...errors(401, 429) },
    },
    onRequest: async (req, reply) => {
      const token = bearer(req);
      if (!token) throw unauthorized('Machine token required: send Authorization: Bearer <token>');
      app.authLimits.machineTokenPerAddress.check(req.ip);
      const machine = (await machineForToken(db, token)) ?? (await getRegisteredMachineByToken(db, token));
      if (!machine || machine.state === 'terminated') {
        app.authLimits.machineTokenPerAddress.fail(req.ip);
        throw unauthorized('Invalid machine token');
      }
      req.agentMachine = machine;
      req.upgradeResponse = reply.raw;
      app.socketCap.authenticated(req.socket);
    },
    handler: async (_req, reply) =>
      reply.code(426).send({ message: 'This endpoint only accepts websocket upgrades', code: 'upgrade_required' }),
    wsHandler: (socket, req) => {
      releaseUpgrade(socket, req.upgradeResponse);
      if (req.agentMachine) hub.accept(socket, req.agentMachine);
      else socket.terminate();
    },
  });
}
