import { configOf } from '../../config-of.js';
import type { ServerContext } from '../../context.js';

/**
 * The one origin the console may run on: the control plane's own public URL, or
 * `EBCLI_CONSOLE_ORIGIN` (e.g. `https://cam.example.com`) when browsers reach it by another name.
 * Compared exactly with a request's `Origin` header.
 */
export function consoleOrigin(ctx: ServerContext): string | undefined {
  return configOf(ctx).console.origin ?? ctx.publicUrl;
}
