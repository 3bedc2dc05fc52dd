import type { EbClient } from '../client/client.js';
import type { Instance } from '../client/types.js';
import { displayState } from '../client/wait.js';
import { UsageError } from './errors.js';
import { DEFAULT_INSTANCE_COLUMNS, instanceColumnSet } from './render/columns.js';
import type { Column } from './render/table.js';

/** What `--state` accepts: the states `instances list` shows, and CAM's own `done` and `unavailable`. */
export const INSTANCE_STATES = [
  'running',
  'stopped',
  'terminated',
  'failed',
  'processing',
  'done',
  'unavailable',
] as const;

export interface ListInstancesInput {
  tag?: string[];
  state?: string;
  workspace?: string;
  columns?: string;
}

/** The columns named by `--columns` (a usage error for unknown ones). */
export function instanceColumns(spec = DEFAULT_INSTANCE_COLUMNS.join(',')): Column<Instance>[] {
  const names = spec
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !instanceColumnSet[n]);
  if (unknown.length) throw new UsageError(`unknown column ${unknown.join(', ')} for --columns`);
  return names.map((n) => instanceColumnSet[n]!);
}

/** Instances you can access (or of one workspace), filtered by tags (all must match) and state. */
export async function listInstances(client: EbClient, input: ListInstancesInput): Promise<Instance[]> {
  const all = input.workspace ? await client.workspaces.instances(input.workspace) : await client.instances.list();
  const tags = input.tag ?? [];
  const { state } = input;
  return all.filter(
    (i) => tags.every((t) => (i.tags ?? []).includes(t)) && (!state || displayState(i) === state || i.state === state),
  );
}
