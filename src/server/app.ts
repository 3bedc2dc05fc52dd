import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { isStoreUnavailable } from './store/unavailable.js';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authLimits, TooManyAttempts, type AuthLimits, type AuthLimitTunables } from './auth/limits.js';
import { authenticate } from './auth/auth.js';
import { userForSession } from './auth/session/auth.js';
import { consoleOrigin } from './auth/session/origin.js';
import type { AuthClass, ServerContext } from './context.js';
import { randomUUID } from 'node:crypto';
import { codeForStatus, REQUEST_ID_HEADER, type ErrorBody, type ErrorCode } from '../shared/errors.js';
import { HttpError } from './http/errors.js';
import { configOf } from './config-of.js';
import { serverOptions, UnauthenticatedSocketCap, type ListenerTunables } from './http/listener.js';
import { withSafeSerializers } from './http/request-log.js';
import { registerRoutes } from './http/routes.js';
import { consoleRoutes } from './console/serve.js';
import { sessionRoutes } from './auth/session/routes.js';
import { validatorOptions } from './http/validation.js';
import { registerResponseGuard, responsesChecked } from './http/response-guard.js';

export { RELEASE } from '../shared/release.js';
import { RELEASE } from '../shared/release.js';
/** Largest JSON body any route accepts; blob uploads have their own, larger limit. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** One registered route and who may call it (the pre-auth allowlist is every `public` one). */
export interface RouteInfo {
  method: string;
  url: string;
  auth: AuthClass;
  /** The route's request schemas (validators compile on first use: src/server/validation.ts). */
  schema?: Record<string, unknown>;
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

/** A caller's request id is kept when it is short and plain; otherwise the server makes one. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
}

const errorBody = (message: string, code: ErrorCode): ErrorBody => ({ message, code });

/** Builds the control plane's fastify app. It never listens: only `start.ts` binds a port. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const listener = { ...configOf(opts.context).listener, ...opts.listener };
  const app = Fastify({
    logger: withSafeSerializers(opts.logger),
    bodyLimit: JSON_BODY_LIMIT,
    ...(opts.https
      ? { https: { ...opts.https, minVersion: 'TLSv1.2' as const, ...serverOptions(listener) } }
      : { http: serverOptions(listener) }),
    ...validatorOptions(),
    routerOptions: { maxParamLength: 256 },
    genReqId: requestId,
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
      if (method !== 'HEAD')
        routeTable.push({ method, url: route.url, auth, schema: route.schema as RouteInfo['schema'] });
    }
  });
  // Test runs check every response against its schema (http/response-guard.ts); production does not.
  if (responsesChecked()) registerResponseGuard(app);
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
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('ElasticBox-Release', RELEASE);
    reply.header(REQUEST_ID_HEADER, req.id);
    return payload;
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof TooManyAttempts) {
      req.log.warn({ retryAfter: err.retryAfterSeconds }, 'authentication failure budget spent: 429');
      void reply.header('Retry-After', String(err.retryAfterSeconds));
    }
    if (err instanceof HttpError) return reply.code(err.statusCode).send(errorBody(err.message, err.code));
    if (err.validation) return reply.code(400).send(errorBody(validationMessage(err), 'invalid'));
    if (isStoreUnavailable(err)) {
      // The store is restarting or out of reach: nothing was committed; the client may retry.
      req.log.warn({ err: err.message }, 'store unavailable: 503');
      void reply.header('Retry-After', '1');
      return reply.code(503).send(errorBody('The control plane store is unavailable; retry shortly', 'internal'));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(err.message, codeForStatus(status)));
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody('Internal server error', 'internal'));
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    void reply.code(404).send(errorBody(`No such endpoint: ${req.method} ${path}`, 'not_found'));
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
