import { parseDoc } from '../store/docs.js';
import type { NewEvent } from '../events/log.js';
import { appendEvents } from '../events/log.js';
import { getInstance, type InstanceDoc } from '../instances/store.js';
import { announceWorkflow } from './announce.js';
import { requestReconfigure, type Requested } from './auto-reconfigure.js';
import { storedRefs } from './bindings.js';
import type { EngineEnv } from './env.js';

export { NOTIFY_USER } from './auto-reconfigure.js';

/**
 * `elasticbox notify` (cam-api.md §4.3): reconfigures every instance bound to this one. A busy
 * instance gets the reconfigure when its current operation ends; stopped, terminated or failed
 * ones are skipped. Returns what happened to each bound instance.
 */
export async function reconfigureDependents(env: EngineEnv, instanceId: string): Promise<Map<string, Requested>> {
  const rows = await env.db
    .selectFrom('instances')
    .select(['id', 'doc'])
    .where('doc', 'like', `%"${instanceId}"%`)
    .orderBy('created')
    .execute();
  const out = new Map<string, Requested>();
  for (const r of rows) {
    const doc = parseDoc<InstanceDoc>(r.doc);
    if (doc.id === instanceId || !storedRefs(doc).some((b) => b.instance === instanceId)) continue;
    const events: NewEvent[] = [];
    const requested = await env.db.transaction().execute(async (trx) => {
      const fresh = await getInstance(trx, doc.id);
      if (!fresh) return 'skipped';
      const cause = { text: `instance ${instanceId} ran elasticbox notify.`, forced: true };
      const result = await requestReconfigure(trx, fresh, cause, events);
      if (events.length) await appendEvents(trx, events);
      return result;
    });
    out.set(doc.id, requested);
    if (events.length) env.bus.committed(doc.owner);
  }
  if ([...out.values()].includes('started')) announceWorkflow(env.bus);
  return out;
}
