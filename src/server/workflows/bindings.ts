import { parseDoc } from '../store/docs.js';
import { getBox, type BoxDoc } from '../boxes/store.js';
import type { Db } from '../store/db.js';
import type { InstanceDoc } from '../instances/store.js';
import type { InstanceVariable } from '../instances/variable-overrides.js';
import { treeFromStack } from '../instances/variable-overrides.js';
import { machinesOf, type MachineAddress } from './store/machines.js';
import { openWorkflowOf } from './store/workflows.js';
import { conditionOf } from './transitions.js';
import { effectiveVariables, type EffectiveVariable } from './variables.js';

/** One binding of an instance and the instances it resolved to (`GET …/bindings` shape). */
export interface ResolvedBinding {
  name: string;
  scope: string;
  instances: string[];
}

/** How an instance's `bindings` field stores them (cam-api.md §3.4, plus the scope). */
export interface BindingRef {
  instance: string;
  name: string;
  scope: string;
}

/** What one Binding variable asks of its targets. */
interface BindingSpec {
  name: string;
  scope: string;
  /** The one instance an override names, if it names one. */
  explicit?: string;
  tags: string[];
  /** Box family a target must contain; undefined for `AnyBox`. */
  family?: string;
}

const familyOf = (box: Pick<BoxDoc, 'id' | 'version'>): string => box.version?.box ?? box.id;

async function allInstances(db: Db): Promise<InstanceDoc[]> {
  const rows = await db.selectFrom('instances').select('doc').execute();
  return rows.map((r) => parseDoc<InstanceDoc>(r.doc));
}

function sharedWith(target: InstanceDoc, owner: string): boolean {
  if (target.owner === owner) return true;
  const members = (target.members as { workspace?: string }[] | undefined) ?? [];
  return members.some((m) => m.workspace === owner);
}

/** The Binding variables of an instance, after overrides, in tree order. */
function bindingVariables(doc: InstanceDoc): { scope: string; v: EffectiveVariable }[] {
  const tree = treeFromStack((doc.boxes as BoxDoc[] | undefined) ?? []);
  if (!tree) return [];
  const vars = effectiveVariables(tree, (doc.variables as InstanceVariable[] | undefined) ?? []);
  const out: { scope: string; v: EffectiveVariable }[] = [];
  for (const [scope, list] of vars) for (const v of list) if (v.type === 'Binding') out.push({ scope, v });
  return out;
}

async function bindingSpecs(db: Db, doc: InstanceDoc): Promise<BindingSpec[]> {
  const out: BindingSpec[] = [];
  for (const { scope, v } of bindingVariables(doc)) {
    let family: string | undefined;
    if (v.boxType && v.boxType !== 'AnyBox') {
      const box = await getBox(db, v.boxType);
      family = box ? familyOf(box) : v.boxType;
    }
    const explicit = v.value && v.value.startsWith('i-') ? v.value : undefined;
    out.push({ name: v.name, scope, explicit, tags: v.tags ?? [], family });
  }
  return out;
}

/** Whether a target's own document fits a binding: the named instance, or all tags, and the box type. */
function fits(spec: BindingSpec, t: InstanceDoc): boolean {
  if (spec.explicit ? t.id !== spec.explicit : !spec.tags.length) return false;
  const tags = new Set((t.tags as string[] | undefined) ?? []);
  if (!spec.explicit && !spec.tags.every((tag) => tags.has(tag))) return false;
  const boxes = (t.boxes as BoxDoc[] | undefined) ?? [];
  return !spec.family || boxes.some((b) => familyOf(b) === spec.family);
}

/**
 * Whether an instance can be bound to at all by instances of `owner`: shared with that workspace,
 * not deleted or terminated, done with its first deploy (its variables and ports are final only
 * then), and with a machine that is not terminated.
 */
async function available(db: Db, t: InstanceDoc, owner: string): Promise<boolean> {
  if (t.deleted || !sharedWith(t, owner) || conditionOf(t) === 'terminated') return false;
  if (t.state === 'processing' && t.operation?.event === 'deploy') {
    if ((await openWorkflowOf(db, t.id))?.operation === 'deploy') return false;
  }
  return (await machinesOf(db, t.id)).some((m) => m.state !== 'terminated');
}

/**
 * Resolves every Binding variable of an instance (cam-api.md §4.3): targets are instances shared
 * with its owner workspace, with a machine, not terminated, containing the binding's box (or any
 * box for `AnyBox`) and carrying all of the binding's tags; or the one instance an override names.
 */
export async function resolveBindings(db: Db, doc: InstanceDoc): Promise<ResolvedBinding[]> {
  const specs = await bindingSpecs(db, doc);
  if (!specs.length) return [];
  const candidates = (await allInstances(db)).filter((t) => t.id !== doc.id);
  const usable = new Map<string, boolean>();
  const out: ResolvedBinding[] = [];
  for (const spec of specs) {
    const matches: string[] = [];
    for (const t of candidates) {
      if (!fits(spec, t)) continue;
      if (!usable.has(t.id)) usable.set(t.id, await available(db, t, doc.owner));
      if (usable.get(t.id)) matches.push(t.id);
    }
    out.push({ name: spec.name, scope: spec.scope, instances: matches });
  }
  return out;
}

/** Whether `doc` binds to `target` now (target undefined: it no longer exists). */
export async function bindsTo(db: Db, doc: InstanceDoc, target: InstanceDoc | undefined): Promise<boolean> {
  if (!target || target.id === doc.id) return false;
  const specs = await bindingSpecs(db, doc);
  return specs.some((s) => fits(s, target)) && (await available(db, target, doc.owner));
}

/** Whether an instance has Binding variables at all. */
export const hasBindings = (doc: InstanceDoc): boolean => bindingVariables(doc).length > 0;

export const bindingRefs = (resolved: ResolvedBinding[]): BindingRef[] =>
  resolved.flatMap((b) => b.instances.map((instance) => ({ instance, name: b.name, scope: b.scope })));

/** The bindings an instance's scripts last saw (resolved by its last bindings step). */
export const storedRefs = (doc: InstanceDoc): BindingRef[] => (doc.bindings as BindingRef[] | undefined) ?? [];

const refKey = (r: BindingRef) => `${r.scope}\u0000${r.name}\u0000${r.instance}`;

export function sameRefs(a: BindingRef[], b: BindingRef[]): boolean {
  const left = new Set(a.map(refKey));
  const right = new Set(b.map(refKey));
  return left.size === right.size && [...left].every((k) => right.has(k));
}

/**
 * `GET …/bindings` (cam-api.md §9 #13): every Binding variable of the instance with the instances
 * its scripts were last given for it.
 */
export function bindingsView(doc: InstanceDoc): ResolvedBinding[] {
  const refs = storedRefs(doc);
  return bindingVariables(doc).map(({ scope, v }) => ({
    name: v.name,
    scope,
    instances: refs.filter((r) => r.name === v.name && r.scope === scope).map((r) => r.instance),
  }));
}

/** What a bound instance exposes to templates: its public variables and its addresses. */
export async function exposedInstance(
  db: Db,
  id: string,
  publicUrl: string,
): Promise<Record<string, unknown> | undefined> {
  const rows = await db.selectFrom('instances').select('doc').where('id', '=', id).executeTakeFirst();
  if (!rows) return undefined;
  const doc = parseDoc<InstanceDoc>(rows.doc);
  const tree = treeFromStack((doc.boxes as BoxDoc[] | undefined) ?? []);
  const vars = tree ? effectiveVariables(tree, (doc.variables as InstanceVariable[] | undefined) ?? []) : new Map();
  const exposed: Record<string, unknown> = {};
  for (const v of (vars.get('') as EffectiveVariable[] | undefined) ?? []) {
    if (v.visibility !== 'public' || v.type === 'Box' || v.type === 'Binding') continue;
    exposed[v.name] = v.type === 'File' && v.value.startsWith('/services/') ? `${publicUrl}${v.value}` : v.value;
  }
  const machines = (await machinesOf(db, id)).filter((m) => m.state !== 'terminated');
  const addresses: MachineAddress[] = machines.map((m) => m.address);
  return {
    ...exposed,
    id: doc.id,
    instance: doc.id,
    name: doc.name,
    service: (doc.service as { id?: string } | undefined)?.id,
    address: addresses[0] ?? {},
    addresses,
  };
}
