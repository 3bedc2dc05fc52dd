import type { Transaction } from 'kysely';
import { appendEvents, type NewEvent } from '../events/log.js';
import { bindingWatchers, getInstance, type InstanceDoc } from '../instances/store.js';
import type { Database } from '../store/schema.js';
import { timestamp } from '../../shared/time.js';
import { announceWorkflow } from './announce.js';
import { beginOperation } from './begin.js';
import { bindingRefs, bindsTo, hasBindings, resolveBindings, sameRefs, storedRefs } from './bindings.js';
import type { EngineEnv } from './env.js';
import { addActivity } from './store/activities.js';
import { openWorkflowOf } from './store/workflows.js';
import { conditionOf } from './transitions.js';

type Trx = Transaction<Database>;

/** Operation records of reconfigures the server started because bindings changed. */
export const AUTOMATIC_USER = 'automatic';
/** Operation records of reconfigures asked for by `elasticbox notify`. */
export const NOTIFY_USER = 'agent';
/** Causes kept per queued reconfigure (the activity entry names them). */
const MAX_CAUSES = 10;

/** Why an instance should be reconfigured. `forced`: even if its bindings are current by then. */
export interface ReconfigureCause {
  text: string;
  forced: boolean;
}

export type Requested = 'started' | 'queued' | 'skipped';

/** Done with an on-operation (deploy, poweron, reinstall, reconfigure): not stopped, terminated or failed. */
const reconfigurable = (doc: InstanceDoc): boolean => doc.state === 'done' && conditionOf(doc) === 'running';

const busy = async (trx: Trx, doc: InstanceDoc): Promise<boolean> =>
  doc.state === 'processing' || (await openWorkflowOf(trx, doc.id)) !== undefined;

async function start(trx: Trx, doc: InstanceDoc, causes: string[], forced: boolean, events: NewEvent[]) {
  const username = forced ? NOTIFY_USER : AUTOMATIC_USER;
  const begun = await beginOperation(trx, doc, 'reconfigure', { username, events });
  const text = `Automatic reconfiguration: ${causes.join(' ')}`;
  await addActivity(
    trx,
    { instanceId: doc.id, workflowId: begun.workflowId, workspace: doc.owner, text, level: 'info', username },
    events,
  );
}

async function enqueue(trx: Trx, doc: InstanceDoc, cause: ReconfigureCause): Promise<void> {
  const now = timestamp();
  const row = await trx
    .selectFrom('pending_reconfigures')
    .selectAll()
    .where('instance_id', '=', doc.id)
    .executeTakeFirst();
  if (!row) {
    await trx
      .insertInto('pending_reconfigures')
      .values({
        instance_id: doc.id,
        workspace: doc.owner,
        forced: cause.forced ? 1 : 0,
        causes: JSON.stringify([cause.text]),
        created: now,
        updated: now,
      })
      .execute();
    return;
  }
  const causes = JSON.parse(row.causes) as string[];
  if (!causes.includes(cause.text)) causes.push(cause.text);
  await trx
    .updateTable('pending_reconfigures')
    .set({
      forced: row.forced || cause.forced ? 1 : 0,
      causes: JSON.stringify(causes.slice(-MAX_CAUSES)),
      updated: now,
    })
    .where('instance_id', '=', doc.id)
    .execute();
}

/**
 * Reconfigures an instance now, inside the caller's transaction, or queues the reconfigure when the
 * instance is busy (it starts when the current workflow ends: {@link dispatchPending}). Instances
 * that are stopped, terminated or failed are left alone.
 */
export async function requestReconfigure(
  trx: Trx,
  doc: InstanceDoc,
  cause: ReconfigureCause,
  events: NewEvent[],
): Promise<Requested> {
  if (await busy(trx, doc)) {
    await enqueue(trx, doc, cause);
    return 'queued';
  }
  if (!reconfigurable(doc)) return 'skipped';
  await start(trx, doc, [cause.text], cause.forced, events);
  return 'started';
}

/**
 * Binding membership of `targetId` may have changed (it was deployed, terminated, deleted, its
 * tags or sharing changed: cam-api.md §4.3). Every other instance with `automatic_reconfiguration`
 * whose bindings now include or exclude it, unlike what its scripts last saw, is reconfigured (or
 * queued). Runs in the transaction that made the change. Returns how many were started.
 */
export async function membershipChanged(trx: Trx, targetId: string, events: NewEvent[]): Promise<number> {
  const watchers = await bindingWatchers(trx, targetId);
  if (!watchers.length) return 0;
  const target = await getInstance(trx, targetId);
  let started = 0;
  for (const doc of watchers) {
    if (doc.deleted || doc.automatic_reconfiguration !== true || !hasBindings(doc)) continue;
    const before = storedRefs(doc).some((b) => b.instance === targetId);
    const now = await bindsTo(trx, doc, target);
    if (before === now) continue;
    const text = `instance ${targetId} ${now ? 'joined' : 'left'} its bindings.`;
    if ((await requestReconfigure(trx, doc, { text, forced: false }, events)) === 'started') started++;
  }
  return started;
}

/**
 * Starts the reconfigure queued for an instance whose workflow just ended (in that workflow's
 * final transaction). A queued binding change is dropped when the instance's bindings are already
 * what they resolve to now (the workflow that ran picked the change up); any queued reconfigure is
 * dropped when the instance is no longer reconfigurable. Returns whether one was started.
 */
export async function dispatchPending(trx: Trx, instanceId: string, events: NewEvent[]): Promise<boolean> {
  const row = await trx
    .selectFrom('pending_reconfigures')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  if (!row) return false;
  const doc = await getInstance(trx, instanceId);
  if (doc && (await busy(trx, doc))) return false;
  await trx.deleteFrom('pending_reconfigures').where('instance_id', '=', instanceId).execute();
  if (!doc || !reconfigurable(doc)) return false;
  const forced = row.forced === 1;
  if (!forced && sameRefs(bindingRefs(await resolveBindings(trx, doc)), storedRefs(doc))) return false;
  await start(trx, doc, JSON.parse(row.causes) as string[], forced, events);
  return true;
}

/**
 * Starts queued reconfigures whose instance is no longer busy (at server start: normally the end
 * of the instance's workflow starts them, in its final transaction). Returns how many started.
 */
export async function sweepPending(env: Pick<EngineEnv, 'db' | 'bus'>): Promise<number> {
  const rows = await env.db.selectFrom('pending_reconfigures').select('instance_id').orderBy('created').execute();
  let started = 0;
  for (const { instance_id: id } of rows) {
    const events: NewEvent[] = [];
    const ok = await env.db.transaction().execute(async (trx) => {
      const done = await dispatchPending(trx, id, events);
      if (events.length) await appendEvents(trx, events);
      return done;
    });
    for (const workspace of new Set(events.map((e) => e.workspace))) env.bus.committed(workspace);
    if (ok) started++;
  }
  if (started) announceWorkflow(env.bus);
  return started;
}
