import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { blobRoutes } from './blobs.js';
import { boxRoutes } from './boxes.js';
import { eventRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { instanceOperationRoutes } from './instance-operations.js';
import { instanceRoutes } from './instances.js';
import { machineRoutes } from './machines.js';
import { agentInstallRoutes } from '../agent-install/routes.js';
import { providerRoutes } from './providers.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';
import { workspaceMemberRoutes } from './workspace-members.js';
import { workspaceRoutes } from './workspaces.js';
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
