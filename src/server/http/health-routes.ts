import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RELEASE } from '../../shared/release.js';

const started = Date.now();

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/services/health',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            release: Type.String(),
            pid: Type.Integer(),
            uptime: Type.Number(),
          }),
        },
      },
    },
    async () => ({ status: 'ok' as const, release: RELEASE, pid: process.pid, uptime: (Date.now() - started) / 1000 }),
  );
  const Roots = Type.Object(
    {
      instances: Type.String(),
      workspaces: Type.String(),
      boxes: Type.String(),
      providers: Type.String(),
      profiles: Type.String(),
    },
    { additionalProperties: false },
  );
  api.get(
    '/services/roots',
    { config: { auth: 'public' }, schema: { tags: ['health'], response: { 200: Roots } } },
    async () => ({
      instances: '/services/instances',
      workspaces: '/services/workspaces',
      boxes: '/services/boxes',
      providers: '/services/providers',
      profiles: '/services/profile',
    }),
  );
}
