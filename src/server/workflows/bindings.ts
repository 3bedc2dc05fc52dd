import { parseDoc } from '../docs.js';
import { getBox, type BoxDoc } from '../store/boxes.js';
import type { Db } from '../store/db.js';
import type { InstanceDoc } from '../store/instances.js';
import type { InstanceVariable } from '../variable-overrides.js';
import { treeFromStack } from '../variable-overrides.js';
import { machinesOf, type MachineAddress } from './store/machines.js';
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

/**
 * Resolves every Binding variable of an instance (cam-api.md §4.3): targets are instances shared
 * with its owner workspace, with a machine, not terminated, containing the binding's box (or any
 * box for `AnyBox`) and carrying all of the binding's tags; or the one instance an override names.
 */
export async function resolveBindings(db: Db, doc: InstanceDoc): Promise<ResolvedBinding[]> {
  const tree = treeFromStack((doc.boxes as BoxDoc[] | undefined) ?? []);
  if (!tree) return [];
  const vars = effectiveVariables(tree, (doc.variables as InstanceVariable[] | undefined) ?? []);
  const bindings: { scope: string; v: EffectiveVariable }[] = [];
  for (const [scope, list] of vars) for (const v of list) if (v.type === 'Binding') bindings.push({ scope, v });
  if (!bindings.length) return [];
  const candidates = (await allInstances(db)).filter(
    (t) => t.id !== doc.id && !t.deleted && sharedWith(t, doc.owner) && conditionOf(t) !== 'terminated',
  );
  const out: ResolvedBinding[] = [];
  for (const { scope, v } of bindings) {
    let family: string | undefined;
    if (v.boxType && v.boxType !== 'AnyBox') {
      const box = await getBox(db, v.boxType);
      family = box ? familyOf(box) : v.boxType;
    }
    const matches: string[] = [];
    const explicit = v.value && v.value.startsWith('i-') ? v.value : undefined;
    for (const t of candidates) {
      if (explicit && t.id !== explicit) continue;
      if (!explicit && !v.tags?.length) continue;
      const tags = new Set((t.tags as string[] | undefined) ?? []);
      if (!explicit && !(v.tags ?? []).every((tag) => tags.has(tag))) continue;
      const boxes = (t.boxes as BoxDoc[] | undefined) ?? [];
      if (family && !boxes.some((b) => familyOf(b) === family)) continue;
      const machines = await machinesOf(db, t.id);
      if (!machines.some((m) => m.state !== 'terminated')) continue;
      matches.push(t.id);
    }
    out.push({ name: v.name, scope, instances: matches });
  }
  return out;
}

export const bindingRefs = (resolved: ResolvedBinding[]): BindingRef[] =>
  resolved.flatMap((b) => b.instances.map((instance) => ({ instance, name: b.name, scope: b.scope })));

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
