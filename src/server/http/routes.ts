import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { blobRoutes } from '../boxes/blob-routes.js';
import { boxRoutes } from '../boxes/routes.js';
import { eventRoutes } from '../events/routes.js';
import { healthRoutes } from './health-routes.js';
import { instanceOperationRoutes } from '../instances/operation-routes.js';
import { instanceRoutes } from '../instances/routes.js';
import { machineRoutes } from '../machines/routes.js';
import { agentInstallRoutes } from '../machines/agent-install/routes.js';
import { providerRoutes } from '../providers/routes.js';
import { tokenRoutes } from '../auth/token-routes.js';
import { userRoutes } from '../workspaces/user-routes.js';
import { workspaceMemberRoutes } from '../workspaces/member-routes.js';
import { workspaceRoutes } from '../workspaces/routes.js';
import { idempotencyHooks } from '../workflows/idempotency.js';
import { registerOrchestration } from '../workflows/orchestration.js';
import { monitoringRoutes } from '../monitoring/routes.js';

/** Registers every route of the CAM 4.0 API under `/services`. */
export async function registerRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await idempotencyHooks(app, ctx.db);
  await healthRoutes(app);
  await tokenRoutes(app, ctx);
  await workspaceRoutes(app, ctx);
  await workspaceMemberRoutes(app, ctx);
  await userRoutes(app, ctx);
  await blobRoutes(app, ctx);
  await boxRoutes(app, ctx);
  await providerRoutes(app, ctx);
  await instanceRoutes(app, ctx);
  await instanceOperationRoutes(app, ctx);
  await machineRoutes(app, ctx);
  await agentInstallRoutes(app, ctx);
  await registerOrchestration(app, ctx);
  await eventRoutes(app, ctx);
  await monitoringRoutes(app, ctx);
}
