import type { EbClient } from '../client/client.js';
import type { Instance } from '../client/types.js';
import { displayState } from '../client/wait.js';
import { NotFoundCliError, UsageError } from './errors.js';

const INSTANCE_ID = /^i-[a-z0-9]{6}$/;

/**
 * An instance by id or by name (unique among the workspace's instances that are not terminated).
 * Stand-in until the shared resolver of instance references is merged (see NOTES-wp-apply.md).
 */
export async function resolveInstance(client: EbClient, ref: string, workspace?: string): Promise<Instance> {
  if (INSTANCE_ID.test(ref)) return client.instances.retrieve(ref);
  const matches = (await client.instances.list()).filter(
    (i) => i.name === ref && (!workspace || i.owner === workspace),
  );
  const live = matches.filter((i) => displayState(i) !== 'terminated');
  const found = live.length ? live : matches;
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new NotFoundCliError(`no instance is named ${ref}${workspace ? ` in workspace ${workspace}` : ''}`);
  const list = found.map((i) => `${i.id} (${i.owner}, ${displayState(i)})`).join(', ');
  throw new UsageError(`instance name ${ref} is ambiguous: ${list}`, 'pass an instance id');
}

/** The instances of a workspace by name; a name held by a terminated and a live instance maps to the live one. */
export async function instancesByName(client: EbClient, workspace: string): Promise<Map<string, Instance>> {
  const out = new Map<string, Instance>();
  for (const i of await client.instances.list()) {
    if (i.owner !== workspace) continue;
    const had = out.get(i.name);
    if (!had || displayState(had) === 'terminated') out.set(i.name, i);
  }
  return out;
}
