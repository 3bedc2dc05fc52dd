import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export async function instanceRoutes(_app: FastifyInstance, _ctx: ServerContext): Promise<void> {}
