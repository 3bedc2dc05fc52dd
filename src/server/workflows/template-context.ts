import type { BoxNode } from '../boxes/stack.js';
import type { Db } from '../store/db.js';
import type { InstanceDoc } from '../instances/store.js';
import type { InstanceVariable } from '../instances/variable-overrides.js';
import { exposedInstance, type BindingRef } from './bindings.js';
import { serviceOf } from './instance-doc.js';
import type { Machine } from './store/machines.js';
import { locateScope, type InstanceTrees } from './trees.js';
import { effectiveVariables, nodeAt, secretsOf, type EffectiveVariable } from './variables.js';
import { IDENTIFIER } from '../../shared/identifiers.js';

/** What an `execute` message carries for one script: template context, environment, secrets. */
export interface ScriptInputs {
  context: Record<string, unknown>;
  env: Record<string, string>;
  secrets: string[];
}

/**
 * Builds the template context of a script of the box at `scope` (cam-api.md §5): the box's
 * variables at top level (File variables as absolute download URLs), child boxes by Box variable
 * name, bindings as lists of bound instances, and `instance`, `service`, `machine`, `address`,
 * `addresses`, `box`, `environment`, `variables`. The agent adds `folder`.
 */
export async function scriptInputs(
  db: Db,
  doc: InstanceDoc,
  trees: InstanceTrees,
  scope: string,
  machine: Machine,
  publicUrl: string,
): Promise<ScriptInputs> {
  const { tree, inner, admin } = locateScope(trees, scope);
  const overrides = admin ? [] : ((doc.variables as InstanceVariable[] | undefined) ?? []);
  const vars = effectiveVariables(tree, overrides);
  const bindings = ((doc.bindings as BindingRef[] | undefined) ?? []).filter((b) => b.instance);
  const exposed = new Map<string, Record<string, unknown> | undefined>();
  const expose = async (id: string) => {
    if (!exposed.has(id)) exposed.set(id, await exposedInstance(db, id, publicUrl));
    return exposed.get(id);
  };
  const scalar = (v: EffectiveVariable) =>
    v.type === 'File' && v.value.startsWith('/services/') ? `${publicUrl}${v.value}` : v.value;

  const valuesOf = async (node: BoxNode): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    for (const v of vars.get(node.scope) ?? []) {
      if (v.type === 'Box') {
        const child = node.children.find((c) => c.variable === v.name);
        out[v.name] = child ? await valuesOf(child.node) : {};
      } else if (v.type === 'Binding') {
        const targets = bindings.filter((b) => b.name === v.name && b.scope === node.scope && !admin);
        const list = [];
        for (const b of targets) {
          const t = await expose(b.instance);
          if (t) list.push(t);
        }
        out[v.name] = list;
      } else out[v.name] = scalar(v);
    }
    return out;
  };

  const node = nodeAt(tree, inner) ?? tree;
  const own = await valuesOf(node);
  const variables: Record<string, string> = {};
  const env: Record<string, string> = {};
  for (const v of vars.get(node.scope) ?? []) {
    if (v.type === 'Box' || v.type === 'Binding') continue;
    variables[v.name] = scalar(v);
    if (IDENTIFIER.test(v.name)) env[v.name] = scalar(v);
  }
  // The box's own variables win over the built-in names (a Binding may well be called `service`).
  const context: Record<string, unknown> = {
    instance: doc.id,
    service: serviceOf(doc).id,
    machine: machine.name,
    address: machine.address,
    addresses: [machine.address],
    box: node.box.name,
    environment: doc.name,
    ...own,
    variables,
  };
  return { context, env, secrets: secretsOf(vars) };
}
