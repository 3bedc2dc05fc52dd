import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { checkRoutes } from './check-routes.js';
import { monitoringTunables, type MonitoringTunables } from './config.js';
import { dataRoutes } from './data-routes.js';
import { rollUp, startRollups } from './rollup.js';
import { loadServerKey } from './server-key.js';
import { WatcherHub } from './watcher-hub.js';
import { watcherRoutes } from './watcher-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The monitoring side's moving parts (tests shrink tunables and roll up on demand). */
    monitoring: { tunables: MonitoringTunables; rollUp(now?: number): Promise<void>; watchers: WatcherHub };
  }
}

/** The MSA REST API under `/services/msa/`, the Watcher channel, the metric roll-up job and the keepalive monitor. */
export async function monitoringRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const tunables = monitoringTunables();
  const stop = startRollups(ctx.db, tunables, (err) => app.log.error({ err }, 'metric roll-up failed'));
  const watchers = new WatcherHub(ctx.db, ctx.bus, loadServerKey(ctx.dataDir), tunables, app.log);
  await watchers.start();
  app.decorate('monitoring', { tunables, rollUp: (now?: number) => rollUp(ctx.db, tunables, now), watchers });
  app.addHook('onClose', async () => {
    await stop();
    await watchers.close();
  });
  await checkRoutes(app, ctx, watchers);
  await dataRoutes(app, ctx, tunables);
  await watcherRoutes(app, ctx, watchers);
}
