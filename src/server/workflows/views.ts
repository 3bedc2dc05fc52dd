import { schemaUrl } from '../store/docs.js';
import type { Db } from '../store/db.js';
import type { InstanceDoc } from '../instances/store.js';
import type { WorkflowsTable } from '../store/schema.js';
import { serviceOf } from './instance-doc.js';
import { activitiesOf, activityDoc } from './store/activities.js';
import { executionsOf, outputOf } from './store/executions.js';
import { machinesOf, type Machine } from './store/machines.js';
import { workflowsOf } from './store/workflows.js';
import { OPERATIONS } from './types.js';

/** Workflow ids an `?operation=` filter selects: a workflow id, or every workflow of an operation name. */
export async function selectWorkflows(db: Db, instanceId: string, operation?: string): Promise<WorkflowsTable[]> {
  const all = await workflowsOf(db, instanceId);
  if (!operation) return all;
  const byId = all.filter((w) => w.id === operation);
  if (byId.length) return byId;
  if ((OPERATIONS as readonly string[]).includes(operation)) return all.filter((w) => w.operation === operation);
  return [];
}

/** `GET …/activity`: the instance's activity entries, oldest first (cam-api.md §3.6). */
export async function activityView(db: Db, doc: InstanceDoc, operation?: string) {
  const ids = operation ? (await selectWorkflows(db, doc.id, operation)).map((w) => w.id) : undefined;
  return (await activitiesOf(db, doc.id, ids)).map(activityDoc);
}

/** A cancelled operation (force_terminate of a busy instance) did not succeed: `unavailable`. */
const instanceState = (w: WorkflowsTable) =>
  w.state === 'done' ? 'done' : w.state === 'failed' || w.state === 'cancelled' ? 'unavailable' : 'processing';

/** `GET …/operations`: one record per operation, each with its activity. */
export async function operationsView(db: Db, doc: InstanceDoc) {
  const workflows = await workflowsOf(db, doc.id);
  const activity = await activitiesOf(db, doc.id);
  return workflows.map((w) => ({
    id: w.id,
    uri: `/services/instances/${doc.id}/operations/${w.id}`,
    schema: schemaUrl('instance-operation'),
    operation: w.operation,
    instance: doc.id,
    workspace: w.workspace,
    username: w.username,
    state: w.state,
    instance_state: instanceState(w),
    request_id: w.request_id,
    ...(w.error ? { error: w.error } : {}),
    activity: activity.filter((a) => a.workflow_id === w.id).map(activityDoc),
    created: w.created,
    updated: w.updated,
    deleted: null,
  }));
}

function machineDoc(m: Machine) {
  return {
    name: m.name,
    hostname: m.name,
    state: m.state,
    address: m.address,
    schema: schemaUrl('test/service-machine'),
    external_id: m.agentPid === null ? null : String(m.agentPid),
    agent_version: m.agentVersion,
    last_agent_ping: m.lastAgentPing,
    agent_connected: m.connected,
    created: m.created,
    updated: m.updated,
  };
}

/** `GET …/service`: the service and machine document (cam-api.md §3.5; `operation` is a string here). */
export async function serviceView(db: Db, doc: InstanceDoc) {
  const service = serviceOf(doc);
  const policy = (doc.policy_box as { provider_id?: string; profile?: unknown } | undefined) ?? {};
  return {
    schema: schemaUrl('service'),
    uri: `/services/instances/${doc.id}/service`,
    id: service.id,
    type: service.type,
    ...(policy.provider_id ? { provider_id: policy.provider_id } : {}),
    profile: policy.profile ?? { instances: 1 },
    state: doc.state,
    ...(doc.operation?.event ? { operation: doc.operation.event } : {}),
    state_history: [],
    machines: (await machinesOf(db, doc.id)).map(machineDoc),
    tags: (doc.tags as string[] | undefined) ?? [],
    variables: [],
    created: doc.created,
    updated: doc.updated,
    deleted: null,
  };
}

export interface LogQuery {
  machine: string;
  box?: string;
  event?: string;
  operation?: string;
}

/**
 * `GET …/machine_logs`: the script output of one machine as text, each script framed by
 * `Executing <event>-<instance> script (<box>)` and its outcome line.
 */
export async function machineLogsView(db: Db, doc: InstanceDoc, q: LogQuery): Promise<string> {
  const workflows = q.operation ? await selectWorkflows(db, doc.id, q.operation) : undefined;
  if (workflows && !workflows.length) return '';
  const filters = { machine: q.machine, event: q.event };
  const executions = (await executionsOf(db, doc.id, filters)).filter(
    (e) =>
      (!workflows || workflows.some((w) => w.id === e.workflow_id)) &&
      (!q.box || e.box_name === q.box || e.scope === q.box),
  );
  const records = await outputOf(db, doc.id, filters);
  const out: string[] = [];
  for (const e of executions) {
    const label = `${e.event}-${doc.id}`;
    out.push(`Executing ${label} script (${e.box_name})\n`);
    let line = '';
    for (const r of records) {
      if (r.id !== e.id || r.kind !== 'output') continue;
      line += r.text;
      if (!r.partial) {
        out.push(`${line}\n`);
        line = '';
      }
    }
    if (line) out.push(`${line}\n`);
    if (e.truncated) out.push('[output truncated]\n');
    if (e.status === 'success') out.push(`${label} successfully executed.\n`);
    else if (e.exit_code === 100) out.push(`${label} asked for a reboot (exit code 100).\n`);
    else if (e.status) {
      const why = e.exit_code !== null ? `exit code ${e.exit_code}` : e.status;
      out.push(`${label} failed (${why})${e.message ? `: ${e.message}` : ''}.\n`);
    }
  }
  return out.join('');
}
