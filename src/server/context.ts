import type { ServerConfig } from './config.js';
import type { EventBus } from './events/log.js';
import type { LocalProviderOptions } from './providers/local.js';
import type { Db } from './store/db.js';

/** The authenticated caller of a request. */
export interface AuthUser {
  /** User id; also the id of the user's personal workspace. */
  id: string;
  email: string;
  isAdmin: boolean;
}

/** What route plugins need from the server. */
export interface ServerContext {
  db: Db;
  dataDir: string;
  /** Wakes event tails after a transaction that appended events commits. */
  bus: EventBus;
  /** Base URL the server is reachable at, once known (used in agent bootstraps and logs). */
  publicUrl?: string;
  /** URL on this host (loopback for a wildcard listen address): what local machines' agents use. */
  localUrl?: string;
  /** Overrides how local machines' agents are started (tests). */
  agentCommand?: LocalProviderOptions['agentCommand'];
  /** The tunables, read once (server/config.ts); read from the environment when the app is built if unset. */
  config?: ServerConfig;
}

/**
 * `agent`: the route authenticates a machine token itself, before any websocket upgrade.
 * `session`: the route authenticates the console's session cookie itself (src/server/auth/session).
 */
export type AuthClass = 'public' | 'user' | 'agent' | 'session';

declare module 'fastify' {
  interface FastifyRequest {
    user?: AuthUser;
  }
  interface FastifyContextConfig {
    /** Every route must say who may call it; the app refuses to register one that does not. */
    auth?: AuthClass;
  }
}
