import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanRead, assertCanWrite, memberWorkspaces, userOf } from '../auth/access.js';
import type { ServerContext } from '../context.js';
import { badRequest, notFound } from '../http/errors.js';
import { parseDurationMs } from '../events/config.js';
import { readableInstance } from '../auth/resource-access.js';
import { errors } from '../http/schemas.js';
import { machinesOf } from '../workflows/store/machines.js';
import { formatTimestamp } from '../../shared/time.js';
import { statusByName } from '../../shared/monitoring/status.js';
import { getAlert, listAlerts, serveAlert, serveState } from './alerts-store.js';
import { boxChecksOf, checkTargets } from './checks-store.js';
import { readableCheck } from './check-routes.js';
import type { MonitoringTunables } from './config.js';
import { ingestResult } from './ingest.js';
import { metricNames, querySeries, type Aggregate } from './metrics-store.js';
import { mark } from './rollup.js';
import { appendEvents, type NewEvent } from '../events/log.js';
import type { AlertsTable } from './tables.js';
import { AlertParams, AlertsQuery, MetricsQuery, ResultBody, ResultsQuery, SilenceBody } from './schemas.js';
import {
  AlertDocSchema,
  CheckStateDocSchema,
  MetricsReplySchema,
  ResultAnswerSchema,
} from '../../shared/monitoring/msa-docs.js';

/** Most buckets one metrics query may return per series. */
const MAX_POINTS = 10_000;

/** `/services/msa/results|metrics|alerts`: what the checks report and what it turned into. */
export async function dataRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  tunables: MonitoringTunables,
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['msa'];
  const user = { auth: 'user' as const };

  api.post(
    '/services/msa/results',
    {
      config: user,
      schema: { tags, body: ResultBody, response: { 202: ResultAnswerSchema, ...errors(400, 403, 404) } },
    },
    async (req, reply) => {
      const me = userOf(req);
      const body = req.body;
      const instance = await readableInstance(db, me, body.instance);
      await assertCanWrite(db, me, instance.owner);
      const check = await readableCheck(db, me, body.check);
      if (!checkTargets(check, instance)) {
        throw badRequest(`check ${check.name} is not assigned to instance ${instance.id}`);
      }
      const machines = (await machinesOf(db, instance.id)).map((m) => m.name);
      if (body.machine && !machines.includes(body.machine)) {
        throw badRequest(`machine ${body.machine} is not a machine of instance ${instance.id}`);
      }
      const outcome = await ingestResult(db, ctx.bus, {
        machine: body.machine ?? machines[0] ?? instance.id,
        instance,
        check,
        exitCode: body.status,
        output: body.output,
        executed: body.executed ?? Date.now(),
        ...(body.metrics ? { metrics: body.metrics } : {}),
      });
      return reply.code(202).send({
        status: outcome.status,
        occurrences: outcome.occurrences,
        flapping: outcome.flapping,
        samples: outcome.samples,
        events: outcome.events,
        ...(outcome.alert ? { alert: serveAlert(outcome.alert) } : {}),
      });
    },
  );

  api.get(
    '/services/msa/results',
    {
      config: user,
      schema: {
        tags,
        querystring: ResultsQuery,
        response: { 200: Type.Array(CheckStateDocSchema), ...errors(403, 404) },
      },
    },
    async (req) => {
      const instance = await readableInstance(db, userOf(req), req.query.instance);
      // By machine here, by check name below (a stable sort): one order on every engine.
      const rows = await db
        .selectFrom('check_states')
        .selectAll()
        .where('instance_id', '=', instance.id)
        .orderBy('machine')
        .orderBy('check_id')
        .execute();
      const names = new Map(
        (await db.selectFrom('checks').select(['id', 'name']).where('workspace', '=', instance.owner).execute()).map(
          (c) => [c.id, c.name],
        ),
      );
      for (const c of boxChecksOf(instance)) names.set(c.id, c.name);
      return rows.map((r) => serveState(r, names.get(r.check_id))).sort((a, b) => a.check.localeCompare(b.check));
    },
  );

  api.get(
    '/services/msa/metrics',
    {
      config: user,
      schema: { tags, querystring: MetricsQuery, response: { 200: MetricsReplySchema, ...errors(400, 403, 404) } },
    },
    async (req) => {
      const q = req.query;
      const instance = await readableInstance(db, userOf(req), q.instance);
      const machines = (await machinesOf(db, instance.id)).map((m) => m.name);
      if (!machines.length) machines.push(instance.id);
      const stepMs = parseDurationMs(q.step ?? '1m')!;
      const spanMs = parseDurationMs(q.since ?? '1h')!;
      if (stepMs < 1000 || stepMs % 1000) throw badRequest('querystring/step must be whole seconds, at least 1s');
      const to = q.until !== undefined ? Number(q.until) : Date.now();
      const from = to - spanMs;
      if (spanMs / stepMs > MAX_POINTS) throw badRequest(`querystring/since spans more than ${MAX_POINTS} steps`);
      const aggregate = (q.aggregate ?? 'avg') as Aggregate;
      const series = await querySeries(db, {
        machines,
        ...(q.metric ? { metric: q.metric } : {}),
        from,
        to,
        stepMs,
        aggregate,
        rawSince: Date.now() - tunables.rawRetentionMs,
        rolledUp: { minute: await mark(db, 'rollup.minute'), hour: await mark(db, 'rollup.hour') },
      });
      return {
        instance: instance.id,
        from,
        to,
        step: stepMs / 1000,
        aggregate,
        metrics: q.metric ? [q.metric] : await metricNames(db, machines),
        series,
      };
    },
  );

  api.get(
    '/services/msa/alerts',
    {
      config: user,
      schema: { tags, querystring: AlertsQuery, response: { 200: Type.Array(AlertDocSchema), ...errors(403, 404) } },
    },
    async (req) => {
      const me = userOf(req);
      const q = req.query;
      let workspaces: string[];
      if (q.instance) workspaces = [(await readableInstance(db, me, q.instance)).owner];
      else if (q.workspace) {
        await assertCanRead(db, me, q.workspace);
        workspaces = [q.workspace];
      } else workspaces = await memberWorkspaces(db, me.id);
      const rows = await listAlerts(db, {
        workspaces,
        ...(q.instance ? { instance: q.instance } : {}),
        state: q.state ?? 'open',
        ...(q.severity ? { severity: statusByName(q.severity)! } : {}),
      });
      return rows.map(serveAlert);
    },
  );

  /**
   * The event of a person handling an alert (`alert.ack`, `alert.silence`): so every console and
   * `events -f` sees it live, though the alert's own state did not change.
   */
  const about = (a: AlertsTable) => ({ alert: a.id, machine: a.machine, check: a.check_name, checkId: a.check_id });
  const handled = (a: AlertsTable, by: string, until?: string): NewEvent =>
    until === undefined
      ? { workspace: a.workspace, type: 'alert.ack', instanceId: a.instance_id, data: { ...about(a), by } }
      : { workspace: a.workspace, type: 'alert.silence', instanceId: a.instance_id, data: { ...about(a), by, until } };

  async function writableAlert(req: { user?: import('../context.js').AuthUser }, id: string) {
    const me = userOf(req);
    const alert = await getAlert(db, id);
    if (!alert) throw notFound('Alert', id);
    await assertCanRead(db, me, alert.workspace).catch(() => {
      throw notFound('Alert', id);
    });
    await assertCanWrite(db, me, alert.workspace);
    return { me, alert };
  }

  api.put(
    '/services/msa/alerts/:alert/ack',
    {
      config: user,
      schema: { tags, params: AlertParams, response: { 200: AlertDocSchema, ...errors(403, 404, 409) } },
    },
    async (req) => {
      const { me, alert } = await writableAlert(req, req.params.alert);
      if (alert.state !== 'open') throw badRequest(`alert ${alert.id} is resolved`);
      const now = formatTimestamp(BigInt(Date.now()) * 1000n);
      const next = { ...alert, acked_by: me.email, acked_at: now, updated: now };
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('alerts')
          .set({ acked_by: me.email, acked_at: now, updated: now })
          .where('id', '=', alert.id)
          .execute();
        await appendEvents(trx, [handled(next, me.email)]);
      });
      ctx.bus.committed(alert.workspace);
      return serveAlert(next);
    },
  );

  api.put(
    '/services/msa/alerts/:alert/silence',
    {
      config: user,
      schema: {
        tags,
        params: AlertParams,
        body: SilenceBody,
        response: { 200: AlertDocSchema, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const { me, alert } = await writableAlert(req, req.params.alert);
      const ms = parseDurationMs(req.body.duration)!;
      if (ms < 1000 || ms > 366 * 86_400_000) throw badRequest('body/duration must be between 1s and 366d');
      const until = formatTimestamp(BigInt(Date.now() + ms) * 1000n);
      const now = formatTimestamp(BigInt(Date.now()) * 1000n);
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('check_states')
          .set({ silenced_until: until, silenced_by: me.email })
          .where('machine', '=', alert.machine)
          .where('check_id', '=', alert.check_id)
          .execute();
        await trx.updateTable('alerts').set({ silenced: 1, updated: now }).where('id', '=', alert.id).execute();
        await appendEvents(trx, [handled(alert, me.email, until)]);
      });
      ctx.bus.committed(alert.workspace);
      return { ...serveAlert({ ...alert, silenced: 1, updated: now }), silenced_until: until };
    },
  );
}
