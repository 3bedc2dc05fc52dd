import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadConsoleAssets, pickEncoding, type ConsoleAsset } from './assets.js';

/**
 * The console's pages only talk to their own origin: scripts and styles from the control plane,
 * fetches and websockets to it, no framing.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function send(req: FastifyRequest, reply: FastifyReply, asset: ConsoleAsset, cacheControl: string) {
  const { encoding, body } = pickEncoding(asset, req.headers['accept-encoding']);
  if (encoding) void reply.header('content-encoding', encoding);
  return reply
    .header('content-type', asset.type)
    .header('cache-control', cacheControl)
    .header('vary', 'Accept-Encoding')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP)
    .header('referrer-policy', 'no-referrer')
    .send(body);
}

/**
 * Serves the console built by scripts/bundle-console.js: `GET /` is its page (revalidated every
 * time), `GET /console/<name>-<hash>.<ext>` its content-hashed assets (cached for a year).
 * Everything is compressed once, on the console's first request (not at every server start, which
 * the CLI's first command waits for); nothing is fetched from elsewhere.
 */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  let loaded: Map<string, ConsoleAsset> | undefined;
  const assets = { get: (name: string) => (loaded ??= loadConsoleAssets()).get(name) };
  const notBuilt = (reply: FastifyReply) =>
    reply.code(503).send({ message: 'The console is not built: run npm run build' });

  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const page = assets.get('index.html');
    if (!page) return notBuilt(reply);
    return send(req, reply, page, 'no-cache');
  });

  app.get<{ Params: { file: string } }>(
    '/console/:file',
    { config: { auth: 'public' }, schema: { hide: true } },
    async (req, reply) => {
      const asset = req.params.file !== 'index.html' ? assets.get(req.params.file) : undefined;
      if (!asset) return reply.code(404).send({ message: `No such console file: ${req.params.file}` });
      return send(req, reply, asset, 'public, max-age=31536000, immutable');
    },
  );
}
