import { serverConfig, type ServerConfig } from './config.js';
import type { ServerContext } from './context.js';

/** The context's configuration, read from the environment (once) if the server did not set it. */
export function configOf(ctx: ServerContext): ServerConfig {
  return (ctx.config ??= serverConfig());
}
