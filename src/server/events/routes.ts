import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TAIL_PATH, TailEvent } from '../../shared/protocol.js';
import { assertCanRead, userOf } from '../auth/access.js';
import type { ServerContext } from '../context.js';
import { badRequest } from '../http/errors.js';
import { configOf } from '../config-of.js';
import type { EventTunables } from './config.js';
import { CompiledFilter, InstanceTags } from './filter.js';
import { EventHub } from './hub.js';
import { readEvents, wireEvent, type EventBus, type StoredEvent } from './log.js';
import { pruneEvents, startPruning, type PruneResult } from './retention.js';
import { readMatching, resolveStart, type StartPoint, type StartRequest } from './subscription.js';
import { ensureWebsocket } from '../ws/plugin.js';
import { serveTail } from '../ws/event-tail.js';
import { watchSession } from '../auth/session/watch.js';
import { errors } from '../http/schemas.js';

/** The event log's moving parts, reachable from the app (tests shrink tunables and prune on demand). */
export interface EventLogHandle {
  bus: EventBus;
  hub: EventHub;
  tunables: EventTunables;
  prune(now?: number): Promise<PruneResult[]>;
}

declare module 'fastify' {
  interface FastifyInstance {
    eventLog: EventLogHandle;
  }
  interface FastifyRequest {
    tail?: { workspace: string; filter: CompiledFilter; start: StartPoint; tags: InstanceTags };
  }
}

const List = Type.Union([
  Type.String({ maxLength: 4096 }),
  Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 100 }),
]);
const Digits = (n: number) => Type.String({ pattern: `^[0-9]{1,${n}}$` });
const EventsQuery = Type.Object(
  {
    workspace: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    instance: Type.Optional(List),
    tag: Type.Optional(List),
    type: Type.Optional(List),
    since: Type.Optional(Digits(15)),
    epoch: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' })),
    since_time: Type.Optional(Type.String({ maxLength: 40 })),
    tail: Type.Optional(Digits(5)),
    limit: Type.Optional(Digits(5)),
  },
  { additionalProperties: false },
);
type EventsQuery = Static<typeof EventsQuery>;

const Resync = Type.Object({
  reason: Type.Union([Type.Literal('pruned'), Type.Literal('epoch'), Type.Literal('ahead')]),
  requested: Type.Integer(),
  first: Type.Integer(),
  head: Type.Integer(),
  epoch: Type.Union([Type.String(), Type.Null()]),
});
const EventsPage = Type.Object({
  events: Type.Array(TailEvent),
  head: Type.Integer({ description: 'last committed seq of the stream' }),
  first: Type.Integer({ description: 'oldest seq still kept' }),
  epoch: Type.Union([Type.String(), Type.Null()]),
  cursor: Type.Integer({
    description: 'everything matching up to this seq is in this page or before: pass it as since',
  }),
  resync: Type.Optional(Resync),
});

const MAX_LIMIT = 10_000;
const MAX_PAGES = 20;

function list(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = [value]
    .flat()
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (items.length > 100) throw badRequest('too many filter values (at most 100)');
  return items.length ? items : undefined;
}

function startRequest(q: EventsQuery): StartRequest {
  const req: StartRequest = {};
  if (q.since !== undefined) req.since = Number(q.since);
  if (q.epoch !== undefined) req.epoch = q.epoch;
  if (q.tail !== undefined) req.tail = Math.min(Number(q.tail), MAX_LIMIT);
  if (q.since_time !== undefined) {
    const ms = Date.parse(q.since_time);
    if (Number.isNaN(ms)) throw badRequest('querystring/since_time must be an ISO-8601 time');
    req.sinceTime = ms;
  }
  return req;
}

/** `GET /services/events`: history as JSON, or (with an upgrade) a live tail over websockets. */
export async function eventRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await ensureWebsocket(app);
  const tunables = configOf(ctx).events;
  const hub = new EventHub(ctx.db, ctx.bus, tunables, (err) => app.log.error({ err }, 'event feed failed'));
  const policy = () => ({ maxAgeMs: tunables.retentionMaxAgeMs, maxEvents: tunables.retentionMaxEvents });
  const stopPruning = startPruning(
    ctx.db,
    () => ({ ...policy(), intervalMs: tunables.pruneIntervalMs }),
    (err) => app.log.error({ err }, 'event pruning failed'),
  );
  app.decorate('eventLog', { bus: ctx.bus, hub, tunables, prune: (now) => pruneEvents(ctx.db, policy(), now) });
  app.addHook('onClose', async () => {
    hub.close();
    await stopPruning();
  });

  /** Runs before any upgrade: a refused tail never sees a 101. */
  async function prepare(req: FastifyRequest<{ Querystring: EventsQuery }>): Promise<void> {
    const user = userOf(req);
    const q = req.query;
    const workspace = q.workspace ?? user.id;
    await assertCanRead(ctx.db, user, workspace);
    const filter = new CompiledFilter({ instances: list(q.instance), tags: list(q.tag), types: list(q.type) });
    const match = { filter, tags: new InstanceTags(ctx.db), batchLimit: tunables.batchLimit };
    const start = await resolveStart(ctx.db, workspace, startRequest(q), match, req.ws ? 'head' : 'first');
    req.tail = { workspace, filter, start, tags: match.tags };
  }

  app.route<{ Querystring: EventsQuery }>({
    method: 'GET',
    url: TAIL_PATH,
    config: { auth: 'user' },
    schema: {
      tags: ['events'],
      summary: 'Workspace event stream: history as JSON, or a live tail with a websocket upgrade',
      querystring: EventsQuery,
      response: { 200: EventsPage, ...errors(400, 401, 403) },
    },
    preHandler: prepare,
    handler: async (req) => {
      const { workspace, filter, start, tags } = req.tail!;
      const limit = Math.min(Math.max(Number(req.query.limit ?? 1000), 1), MAX_LIMIT);
      const events: StoredEvent[] = [];
      let cursor = start.since;
      for (let page = 0; page < MAX_PAGES && cursor < start.info.head && events.length < limit; page++) {
        const read = await readMatching(readEvents, ctx.db, workspace, filter, tags, {
          since: cursor,
          upTo: start.info.head,
          limit: tunables.batchLimit,
        });
        const room = limit - events.length;
        events.push(...read.events.slice(0, room));
        cursor = read.events.length > room ? read.events[room - 1]!.seq : read.through;
      }
      const { head, first, epoch } = start.info;
      return {
        events: events.map(wireEvent),
        head,
        first,
        epoch,
        cursor,
        ...(start.resync ? { resync: start.resync } : {}),
      };
    },
    wsHandler: (socket, req) => {
      const { workspace, filter, start } = req.tail!;
      const session = req.consoleSession;
      serveTail(socket, {
        hub,
        workspace,
        filter,
        start,
        log: req.log,
        headers: req.headers,
        member: userOf(req).id,
        ...(session ? { watchCredential: (end: () => void) => watchSession(ctx.bus, session, end) } : {}),
      });
    },
  });
}
