import { getInstance, deleteInstance } from '../../instances/store.js';
import { bindingRefs, resolveBindings } from '../bindings.js';
import { mutateInstance } from '../instance-doc.js';
import { failed, type StepOutcome, type StepRun } from './step.js';

/** Resolves the instance's bindings (after install, before configure: cam-api.md §4.3). */
export async function bindings(run: StepRun): Promise<StepOutcome> {
  const { env, wf } = run;
  const doc = await getInstance(env.db, wf.instanceId);
  if (!doc) return failed(`instance ${wf.instanceId} no longer exists`);
  const resolved = await resolveBindings(env.db, doc);
  const refs = bindingRefs(resolved);
  return {
    ok: true,
    result: { bindings: resolved },
    commit: async (trx, events) => {
      await mutateInstance(trx, wf.instanceId, (d) => (d.bindings = refs), { events, workflowId: wf.id });
    },
  };
}

/** Removes a terminated instance's record and its machines (`DELETE …?operation=delete`). */
export async function remove(run: StepRun): Promise<StepOutcome> {
  const { wf } = run;
  return {
    ok: true,
    result: {},
    commit: async (trx) => {
      await trx.deleteFrom('machines').where('instance_id', '=', wf.instanceId).execute();
      await deleteInstance(trx, wf.instanceId);
    },
  };
}
