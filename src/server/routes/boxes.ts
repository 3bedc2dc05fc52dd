import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export async function boxRoutes(_app: FastifyInstance, _ctx: ServerContext): Promise<void> {}
