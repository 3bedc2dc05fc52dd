import { parseDoc } from '../docs.js';
import { HttpError } from '../errors.js';
import { getInstance, type InstanceDoc } from '../store/instances.js';
import type { BindingRef } from './bindings.js';
import { beginOperation } from './begin.js';
import type { EngineEnv } from './env.js';
import { announceWorkflow } from './worker.js';

export const NOTIFY_USER = 'agent';

/**
 * `elasticbox notify` (cam-api.md §4.3): reconfigures every instance bound to this one. Instances
 * that are busy, stopped or terminated are skipped. Returns the ids reconfigured.
 */
export async function reconfigureDependents(env: EngineEnv, instanceId: string): Promise<string[]> {
  const rows = await env.db
    .selectFrom('instances')
    .select(['id', 'doc'])
    .where('doc', 'like', `%"${instanceId}"%`)
    .execute();
  const started: string[] = [];
  for (const r of rows) {
    const doc = parseDoc<InstanceDoc>(r.doc);
    const bound = ((doc.bindings as BindingRef[] | undefined) ?? []).some((b) => b.instance === instanceId);
    if (!bound || doc.id === instanceId) continue;
    try {
      const begun = await env.db.transaction().execute(async (trx) => {
        const fresh = await getInstance(trx, doc.id);
        return fresh ? beginOperation(trx, fresh, 'reconfigure', { username: NOTIFY_USER }) : undefined;
      });
      if (!begun) continue;
      env.bus.committed(begun.workspace);
      started.push(doc.id);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
    }
  }
  if (started.length) announceWorkflow(env.bus);
  return started;
}
