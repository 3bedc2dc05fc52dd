import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authLimits, TooManyAttempts, type AuthLimits, type AuthLimitTunables } from './auth-limits.js';
import { authenticate } from './auth.js';
import { userForSession } from './session/auth.js';
import { consoleOrigin } from './session/origin.js';
import type { AuthClass, ServerContext } from './context.js';
import { HttpError } from './errors.js';
import {
  DEFAULT_LISTENER,
  listenerFromEnv,
  serverOptions,
  UnauthenticatedSocketCap,
  type ListenerTunables,
} from './listener.js';
import { withSafeSerializers } from './request-log.js';
import { registerRoutes } from './routes/index.js';
import { consoleRoutes } from './console/serve.js';
import { sessionRoutes } from './session/routes.js';
import { validatorOptions } from './validation.js';

export { RELEASE } from '../shared/release.js';
import { RELEASE } from '../shared/release.js';
/** Largest JSON body any route accepts; blob uploads have their own, larger limit. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** One registered route and who may call it (the pre-auth allowlist is every `public` one). */
export interface RouteInfo {
  method: string;
  url: string;
  auth: AuthClass;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteInfo[];
    /** Failure budgets of password logins and token authentication. */
    authLimits: AuthLimits;
    /** Caps sockets per client address until a request on them authenticates. */
    socketCap: UnauthenticatedSocketCap;
  }
}

export interface AppOptions {
  context: ServerContext;
  https?: { key: string; cert: string; ca?: string };
  logger?: FastifyServerOptions['logger'];
  /** Authentication failure budgets (defaults: DEFAULT_AUTH_LIMITS; tests shrink them). */
  authLimits?: Partial<AuthLimitTunables>;
  /** Listener timeouts and caps (defaults: DEFAULT_LISTENER; tests shrink them). */
  listener?: Partial<ListenerTunables>;
}

function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const where = `${err.validationContext ?? 'body'}${first.instancePath || ''}`;
  if (first.keyword === 'additionalProperties') {
    const extra = (first.params as { additionalProperty?: string }).additionalProperty;
    return `${where} has an unknown field '${extra}'`;
  }
  return `${where} ${first.message ?? 'is invalid'}`;
}

/** Builds the control plane's fastify app. It never listens: only `start.ts` binds a port. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const listener = { ...DEFAULT_LISTENER, ...listenerFromEnv(), ...opts.listener };
  const app = Fastify({
    logger: withSafeSerializers(opts.logger),
    bodyLimit: JSON_BODY_LIMIT,
    ...(opts.https
      ? { https: { ...opts.https, minVersion: 'TLSv1.2' as const, ...serverOptions(listener) } }
      : { http: serverOptions(listener) }),
    ...validatorOptions(),
    routerOptions: { maxParamLength: 256 },
    connectionTimeout: listener.idleTimeoutMs,
    requestTimeout: listener.requestTimeoutMs,
    keepAliveTimeout: listener.keepAliveTimeoutMs,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.headersTimeout = listener.headersTimeoutMs;
  const socketCap = new UnauthenticatedSocketCap(listener.maxUnauthenticatedPerAddress);
  socketCap.attach(app.server);
  app.decorate('socketCap', socketCap);

  const routeTable: RouteInfo[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    if (auth !== 'public' && auth !== 'user' && auth !== 'agent' && auth !== 'session') {
      throw new Error(`route ${route.method} ${route.url} has no auth classification`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routeTable.push({ method, url: route.url, auth });
    }
  });
  const limits = authLimits(opts.authLimits);
  app.decorate('authLimits', limits);
  app.addHook(
    'onRequest',
    authenticate(
      opts.context.db,
      limits,
      (req) => socketCap.authenticated(req.socket),
      (req) => userForSession(opts.context.db, req, consoleOrigin(opts.context)),
    ),
  );
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('ElasticBox-Release', RELEASE);
    return payload;
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof TooManyAttempts) {
      req.log.warn({ retryAfter: err.retryAfterSeconds }, 'authentication failure budget spent: 429');
      void reply.header('Retry-After', String(err.retryAfterSeconds));
    }
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ message: err.message });
    if (err.validation) return reply.code(400).send({ message: validationMessage(err) });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ message: err.message });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ message: 'Internal server error' });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ message: `No such endpoint: ${req.method} ${req.url.split('?')[0]}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'ebcli control plane (CAM 4.0 API)', version: RELEASE },
      components: {
        securitySchemes: {
          ElasticBoxToken: { type: 'apiKey', in: 'header', name: 'ElasticBox-Token' },
          Bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await registerRoutes(app, opts.context);
  await sessionRoutes(app, opts.context);
  await consoleRoutes(app);
  app.get('/services/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  return app;
}

export type App = FastifyInstance;
