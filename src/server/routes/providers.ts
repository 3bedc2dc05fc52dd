import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export async function providerRoutes(_app: FastifyInstance, _ctx: ServerContext): Promise<void> {}
