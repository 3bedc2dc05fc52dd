import type { Transaction } from 'kysely';
import { appendEvents, type EventBus, type NewEvent } from '../events/log.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { InstanceDoc } from '../instances/store.js';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import { DEFAULT_FLAP } from '../../shared/monitoring/flapping.js';
import { extractMetrics, metricName, type MetricPoint } from '../../shared/monitoring/metrics-parse.js';
import { messageOf, statusName, statusOf } from '../../shared/monitoring/status.js';
import type { CheckDoc } from '../../shared/monitoring/checks.js';
import { insertSamples } from './metrics-store.js';
import type { AlertsTable } from './tables.js';
import { transition, type PairState } from './transition.js';

export interface CheckResult {
  machine: string;
  instance: InstanceDoc;
  check: CheckDoc;
  /** Exit code of the check (Nagios convention); anything outside 0..3 counts as UNKNOWN. */
  exitCode: number;
  output: string;
  /** Epoch ms the check ran at. */
  executed: number;
  /** Metrics the sender already extracted; otherwise they come from the output in the check's format. */
  metrics?: MetricPoint[];
}

export interface IngestOutcome {
  status: number;
  occurrences: number;
  flapping: boolean;
  alert: AlertsTable | undefined;
  events: string[];
  samples: number;
}

type Trx = Transaction<Database>;

async function openAlert(trx: Trx, machine: string, checkId: string): Promise<AlertsTable | undefined> {
  return trx
    .selectFrom('alerts')
    .selectAll()
    .where('machine', '=', machine)
    .where('check_id', '=', checkId)
    .where('state', '=', 'open')
    .executeTakeFirst();
}

/** Whether a silence recorded on the pair is still in force at `now` (CAM timestamps compare as text). */
const silencedAt = (until: string | null | undefined, now: string) =>
  until !== null && until !== undefined && until > now;

/**
 * Records one check result in one transaction: the pair's state, its alert (opened, updated or
 * resolved) and the event that says so, and the result's metric samples. Silenced pairs keep their
 * alerts up to date but append no events. Wakes the workspace's tails after the commit.
 */
export async function ingestResult(db: Db, bus: EventBus, r: CheckResult): Promise<IngestOutcome> {
  const status = statusOf(r.exitCode);
  const now = timestamp();
  const message = messageOf(r.output);
  const executed = new Date(r.executed).toISOString();
  const points = r.metrics ?? extractMetrics(r.check.output_metric_format, r.output);
  const outcome = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('check_states')
      .selectAll()
      .where('machine', '=', r.machine)
      .where('check_id', '=', r.check.id)
      .executeTakeFirst();
    const prev: PairState | undefined = row
      ? {
          status: row.status,
          occurrences: row.occurrences,
          history: JSON.parse(row.history) as number[],
          flapping: row.flapping === 1,
        }
      : undefined;
    let alert = await openAlert(trx, r.machine, r.check.id);
    const t = transition(prev, status, alert !== undefined, r.check.flap ?? DEFAULT_FLAP);
    const silenced = silencedAt(row?.silenced_until, now);
    const stateRow = {
      machine: r.machine,
      check_id: r.check.id,
      workspace: r.check.owner,
      instance_id: r.instance.id,
      status,
      occurrences: t.state.occurrences,
      history: JSON.stringify(t.state.history),
      flapping: t.state.flapping ? 1 : 0,
      output: r.output.slice(0, 4096),
      executed,
      silenced_until: silenced ? row!.silenced_until : null,
      silenced_by: silenced ? row!.silenced_by : null,
      updated: now,
    };
    if (row) {
      await trx
        .updateTable('check_states')
        .set(stateRow)
        .where('machine', '=', r.machine)
        .where('check_id', '=', r.check.id)
        .execute();
    } else await trx.insertInto('check_states').values(stateRow).execute();

    const events: NewEvent[] = [];
    let changed = false;
    if (t.action === 'open') {
      alert = {
        id: newUuid(),
        workspace: r.check.owner,
        machine: r.machine,
        instance_id: r.instance.id,
        check_id: r.check.id,
        check_name: r.check.name,
        state: 'open',
        // An alert opened by flapping alone (the pair is OK right now) is a WARNING.
        severity: status || 1,
        occurrences: t.state.occurrences,
        flapping: t.state.flapping ? 1 : 0,
        silenced: silenced ? 1 : 0,
        output: message.slice(0, 1024),
        acked_by: null,
        acked_at: null,
        opened: now,
        resolved: null,
        updated: now,
      };
      await trx.insertInto('alerts').values(alert).execute();
      changed = true;
    } else if (alert && t.action === 'update') {
      // A flapping pair may be OK now: its alert keeps the last non-OK severity.
      const severity = status === 0 ? alert.severity : status;
      changed = severity !== alert.severity || t.flappingChanged;
      alert = {
        ...alert,
        severity,
        occurrences: t.state.occurrences,
        flapping: t.state.flapping ? 1 : 0,
        silenced: silenced ? 1 : 0,
        output: message.slice(0, 1024),
        updated: now,
      };
      await trx.updateTable('alerts').set(alert).where('id', '=', alert.id).execute();
    } else if (alert && t.action === 'resolve') {
      alert = {
        ...alert,
        state: 'resolved',
        occurrences: t.state.occurrences,
        flapping: 0,
        output: message.slice(0, 1024),
        resolved: now,
        updated: now,
      };
      await trx.updateTable('alerts').set(alert).where('id', '=', alert.id).execute();
      changed = true;
    }
    if (alert && changed && !silenced) {
      events.push({
        workspace: alert.workspace,
        type: t.action === 'open' ? 'alert.open' : t.action === 'resolve' ? 'alert.resolve' : 'alert.update',
        instanceId: r.instance.id,
        data: {
          alert: alert.id,
          machine: r.machine,
          check: r.check.name,
          checkId: r.check.id,
          status: statusName(status),
          severity: statusName(alert.severity),
          occurrences: t.state.occurrences,
          flapping: t.state.flapping,
          message,
        },
      });
      await appendEvents(trx, events);
    }
    const samples = points.map((p) => ({
      machine: r.machine,
      metric: metricName(p.name),
      ts: p.ts ?? r.executed,
      value: p.value,
    }));
    await insertSamples(trx, samples);
    return {
      status,
      occurrences: t.state.occurrences,
      flapping: t.state.flapping,
      alert,
      events: events.map((e) => e.type),
      samples: samples.length,
    };
  });
  if (outcome.events.length) bus.committed(r.check.owner);
  return outcome;
}
