import type { ServerContext } from '../context.js';

/**
 * The one origin the console may run on: the control plane's own public URL, or
 * `EBCLI_CONSOLE_ORIGIN` (e.g. `https://cam.example.com`) when browsers reach it by another name.
 * Compared exactly with a request's `Origin` header.
 */
export function consoleOrigin(ctx: Pick<ServerContext, 'publicUrl'>): string | undefined {
  const configured = process.env.EBCLI_CONSOLE_ORIGIN?.trim();
  return configured ? configured.replace(/\/+$/, '') : ctx.publicUrl;
}
