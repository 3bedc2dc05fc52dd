import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { checkRoutes } from './check-routes.js';
import { monitoringTunables, type MonitoringTunables } from './config.js';
import { dataRoutes } from './data-routes.js';
import { rollUp, startRollups } from './rollup.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The monitoring side's moving parts (tests shrink tunables and roll up on demand). */
    monitoring: { tunables: MonitoringTunables; rollUp(now?: number): Promise<void> };
  }
}

/** The MSA REST API under `/services/msa/`, and the metric roll-up job. */
export async function monitoringRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const tunables = monitoringTunables();
  const stop = startRollups(ctx.db, tunables, (err) => app.log.error({ err }, 'metric roll-up failed'));
  app.decorate('monitoring', { tunables, rollUp: (now?: number) => rollUp(ctx.db, tunables, now) });
  app.addHook('onClose', stop);
  await checkRoutes(app, ctx);
  await dataRoutes(app, ctx, tunables);
}
