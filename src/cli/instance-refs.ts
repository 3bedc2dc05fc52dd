import type { EbClient } from '../client/client.js';
import { NotFoundError } from '../client/errors.js';
import type { Instance } from '../client/types.js';
import { displayState } from '../client/wait.js';
import { INSTANCE_ID } from '../shared/ids.js';
import { CliError, NotFoundCliError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { closestMatches } from './suggest.js';

/** A name that more than one instance you can see carries (in different workspaces). */
export class AmbiguousInstanceError extends CliError {
  constructor(
    message: string,
    readonly candidates: { id: string; name: string; workspace: string; state: string }[],
  ) {
    super(message, ExitCode.Usage, 'ambiguous', 'pass the instance id instead of its name');
  }
}

/** One instance reference (id or name) and what it resolved to. */
export interface ResolvedRef {
  ref: string;
  /** The instance id (the reference itself when it could not be resolved). */
  id: string;
  doc?: Instance;
  error?: unknown;
}

/**
 * The one resolver of instance references: every command that takes instance ids also takes
 * instance names (unique among the live instances of a workspace). An id (`i-xxxxxx`) is fetched
 * directly; anything else, or an id-shaped reference the server does not know, is looked up by
 * name in the instance list (fetched once). A reference never reaches a URL unless it is an id.
 */
export class InstanceResolver {
  private listing: Promise<Instance[]> | undefined;

  constructor(
    private readonly client: EbClient,
    /** Only names in this workspace count (the flag, EBCLI_WORKSPACE or the profile), when set. */
    private readonly workspace?: string,
  ) {}

  /** Resolves one reference or throws: not found (exit 6, with similar names) or ambiguous (exit 2). */
  async resolve(ref: string): Promise<Instance> {
    if (INSTANCE_ID.test(ref)) {
      try {
        return await this.client.instances.retrieve(ref);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    const all = await this.instances();
    const matches = all.filter((i) => i.name === ref);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      const candidates = matches.map((i) => ({ id: i.id, name: i.name, workspace: i.owner, state: displayState(i) }));
      const list = candidates.map((c) => `  ${c.id}  ${c.name}  (workspace ${c.workspace}, ${c.state})`).join('\n');
      throw new AmbiguousInstanceError(`${matches.length} instances are named "${ref}":\n${list}`, candidates);
    }
    const where = this.workspace ? ` in workspace ${this.workspace}` : '';
    const similar = closestMatches(
      ref,
      all.flatMap((i) => [i.name, i.id]),
      5,
    );
    const hint = similar.length ? `; did you mean ${similar.map((s) => `"${s}"`).join(', ')}?` : '';
    throw new NotFoundCliError(`no instance with id or name "${ref}"${where}${hint}`);
  }

  /** Resolves each reference, keeping failures per reference (bulk commands report them per target). */
  async resolveAll(refs: string[]): Promise<ResolvedRef[]> {
    const out: ResolvedRef[] = [];
    for (let i = 0; i < refs.length; i += 8) {
      const batch = refs.slice(i, i + 8).map(async (ref): Promise<ResolvedRef> => {
        try {
          const doc = await this.resolve(ref);
          return { ref, id: doc.id, doc };
        } catch (error) {
          return { ref, id: ref, error };
        }
      });
      out.push(...(await Promise.all(batch)));
    }
    return out;
  }

  /** Resolves to ids, throwing on the first reference that does not resolve. */
  async ids(refs: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const r of await this.resolveAll(refs)) {
      if (r.error) throw r.error;
      out.push(r.id);
    }
    return [...new Set(out)];
  }

  /** The live instances you can see (of the workspace, when one is set), fetched once. */
  instances(): Promise<Instance[]> {
    this.listing ??= this.client.instances
      .list()
      .then((all) =>
        all.filter((i) => !(i as { deleted?: unknown }).deleted && (!this.workspace || i.owner === this.workspace)),
      );
    return this.listing;
  }
}

/** Resolves one instance reference (id or name) with a fresh resolver. */
export function resolveInstance(client: EbClient, ref: string, workspace?: string): Promise<Instance> {
  return new InstanceResolver(client, workspace).resolve(ref);
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
