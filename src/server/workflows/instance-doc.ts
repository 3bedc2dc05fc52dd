import type { Transaction } from 'kysely';
import type { NewEvent } from '../events/log.js';
import type { Database } from '../store/schema.js';
import { getInstanceForUpdate, updateInstance, type InstanceDoc } from '../instances/store.js';
import type { InstanceVariable } from '../instances/variable-overrides.js';
import { slugify } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';

type Trx = Transaction<Database>;

/** The service part of an instance document (cam-api.md §3.4). */
export interface ServiceRef {
  type: string;
  id: string;
  machines: { name: string; state: string; workflow?: unknown[] }[];
}

export const serviceOf = (doc: InstanceDoc): ServiceRef =>
  (doc.service as ServiceRef | undefined) ?? { type: 'Linux Compute', id: 'eb-00000', machines: [] };

/** Longest name slug in a machine name, so that it stays a usable host name and file name. */
const MACHINE_SLUG = 40;

/** Machine names: `<instance-name-slug>-<service id>-<n>` (cam-api.md §1); long names are cut. */
export const machineName = (doc: InstanceDoc, n = 1): string =>
  `${slugify(doc.name).slice(0, MACHINE_SLUG)}-${serviceOf(doc).id}-${n}`;

export const providerIdOf = (doc: InstanceDoc): string | undefined => {
  const policy = doc.policy_box as { provider_id?: unknown } | undefined;
  return typeof policy?.provider_id === 'string' ? policy.provider_id : undefined;
};

/** The event every state change of an instance emits. */
export function stateEvent(doc: InstanceDoc, workflowId: string | null): NewEvent {
  return {
    workspace: doc.owner,
    type: 'instance.state',
    instanceId: doc.id,
    operationId: workflowId,
    data: { id: doc.id, state: doc.state, operation: doc.operation, updated: doc.updated },
  };
}

/**
 * Reads, changes and writes an instance document inside a transaction. `changesState` stamps a
 * new `updated` and queues an `instance.state` event. Returns undefined when the instance is gone.
 */
export async function mutateInstance(
  trx: Trx,
  id: string,
  change: (doc: InstanceDoc) => void,
  opts: { events: NewEvent[]; workflowId: string | null; changesState?: boolean },
): Promise<InstanceDoc | undefined> {
  const doc = await getInstanceForUpdate(trx, id);
  if (!doc) return undefined;
  change(doc);
  if (opts.changesState) {
    doc.updated = timestamp();
    opts.events.push(stateEvent(doc, opts.workflowId));
  }
  await updateInstance(trx, doc);
  return doc;
}

/** Refreshes `service.machines` (name and state) from the machines the instance has. */
export function setServiceMachines(doc: InstanceDoc, machines: { name: string; state: string }[]): void {
  const service = serviceOf(doc);
  const previous = new Map(service.machines.map((m) => [m.name, m]));
  doc.service = {
    ...service,
    machines: machines.map((m) => ({ workflow: [], ...previous.get(m.name), name: m.name, state: m.state })),
  };
}

/** Adds variables the instance does not set yet (matched on name and scope). */
export function addVariables(doc: InstanceDoc, extra: InstanceVariable[]): void {
  const current = (doc.variables as InstanceVariable[] | undefined) ?? [];
  const missing = extra.filter((e) => !current.some((c) => c.name === e.name && (c.scope ?? '') === (e.scope ?? '')));
  if (missing.length) doc.variables = [...current, ...missing];
}
