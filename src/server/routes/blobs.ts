import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export async function blobRoutes(_app: FastifyInstance, _ctx: ServerContext): Promise<void> {}
