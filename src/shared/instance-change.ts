/**
 * What a change of a running instance requires (the pull rule), shared by the server (which acts on
 * it) and the CLI (which prints it as a plan before acting):
 *
 * - a script of the **install** phase (`pre_install`, `install`, `post_install` of any box of the
 *   tree, admin boxes included) was added, removed or changed content → **reinstall** (install, then
 *   configure);
 * - else a script of the **configure** phase changed, or the value a variable ends up with changed
 *   (instance override > outermost parent's scoped variable > box default; File variables compare
 *   by content) → **reconfigure**;
 * - else nothing runs: start, stop and dispose scripts that changed run at their next occasion.
 *
 * Scripts and files compare by content (MD5), so a new blob with the same bytes is no change.
 */

/** A box of a stack as the rule reads it (box documents of the API, server or client). */
export interface ChangeBox {
  id: string;
  name: string;
  variables?: ChangeVariable[] | null;
  events?: Record<string, { url?: unknown } | null | undefined> | null;
}

export interface ChangeVariable {
  name: string;
  type?: string;
  value?: unknown;
  scope?: string | null;
  tags?: string[] | null;
}

/** An instance's boxes (main box first, as `instance.boxes` and `GET /boxes/{id}/stack` give them) and overrides. */
export interface InstanceShape {
  stack: ChangeBox[];
  variables: ChangeVariable[];
}

export type ChangeOperation = 'reinstall' | 'reconfigure' | 'none';

/** One difference and what it requires. */
export interface ChangeReason {
  kind: 'script' | 'variable' | 'file';
  /** `Box:event` for a script, `scope.NAME` for a variable. */
  name: string;
  change: 'added' | 'removed' | 'changed';
  requires: ChangeOperation;
}

export interface ChangeEffect {
  operation: ChangeOperation;
  /** Every difference found, those that decide the operation first. */
  reasons: ChangeReason[];
  /** The scripts the operation runs, in run order, as `Box:event`. */
  scripts: string[];
}

export type Phase = 'install' | 'configure' | 'start' | 'stop' | 'dispose';

/**
 * Events of one box before and after its children (cam-api.md §4.2 and §9 #5); the historical
 * aliases run next to the event they belong to.
 */
export const BEFORE_CHILDREN: Record<Phase, string[]> = {
  install: ['pre_install'],
  configure: ['pre_configure'],
  start: ['pre_start'],
  stop: ['pre_stop', 'stop'],
  dispose: ['pre_dispose', 'dispose'],
};
export const AFTER_CHILDREN: Record<Phase, string[]> = {
  install: ['install', 'post_install'],
  configure: ['configure', 'post_configure'],
  start: ['start', 'post_start'],
  stop: ['post_stop'],
  dispose: ['post_dispose'],
};

/** The phases each operation runs (cam-api.md §4.1). */
export const OPERATION_PHASES: Record<string, Phase[]> = {
  deploy: ['install', 'configure', 'start'],
  reinstall: ['install', 'configure'],
  reconfigure: ['configure'],
  none: [],
};

export interface ChangeNode {
  box: ChangeBox;
  scope: string;
  children: ChangeNode[];
}

const joinScope = (a: string, b: string) => (a && b ? `${a}.${b}` : a || b);
const label = (scope: string, name: string) => (scope ? `${scope}.${name}` : name);

/** The box tree of a stack: children are the boxes named by Box variables, in declaration order. */
export function treeOfStack(stack: ChangeBox[], scopePrefix = ''): ChangeNode | undefined {
  const byId = new Map(stack.map((b) => [b.id, b]));
  const visit = (box: ChangeBox, scope: string, path: string[]): ChangeNode => {
    const children: ChangeNode[] = [];
    for (const v of box.variables ?? []) {
      const child = v.type === 'Box' && !v.scope && typeof v.value === 'string' ? byId.get(v.value) : undefined;
      if (!child || path.includes(child.id) || path.length > 16) continue;
      children.push(visit(child, joinScope(scope, v.name), [...path, child.id]));
    }
    return { box, scope, children };
  };
  return stack[0] ? visit(stack[0], scopePrefix, [stack[0].id]) : undefined;
}

/** Admin boxes (outermost first) wrap the deployed box as its parents (cam-api.md §4.2). */
export function wrapWithAdmins(main: ChangeNode, admins: ChangeNode[]): ChangeNode {
  return admins.reduceRight<ChangeNode>((inner, admin) => ({ ...admin, children: [...admin.children, inner] }), main);
}

const scriptUrl = (box: ChangeBox, event: string): string | undefined => {
  const url = box.events?.[event]?.url;
  return typeof url === 'string' && url ? url : undefined;
};

/** The scripts of the phases over a tree, in run order: `{box, scope, event, url}`. */
export function phaseScripts(
  root: ChangeNode,
  phases: Phase[],
): { box: ChangeBox; scope: string; event: string; url: string }[] {
  const out: { box: ChangeBox; scope: string; event: string; url: string }[] = [];
  for (const phase of phases) {
    const visit = (node: ChangeNode) => {
      for (const event of BEFORE_CHILDREN[phase]) {
        const url = scriptUrl(node.box, event);
        if (url) out.push({ box: node.box, scope: node.scope, event, url });
      }
      for (const child of node.children) visit(child);
      for (const event of AFTER_CHILDREN[phase]) {
        const url = scriptUrl(node.box, event);
        if (url) out.push({ box: node.box, scope: node.scope, event, url });
      }
    };
    visit(root);
  }
  return out;
}

/** `Box:event` labels of the scripts an operation runs over a tree. */
export function scriptLabels(root: ChangeNode | undefined, operation: string): string[] {
  return root ? phaseScripts(root, OPERATION_PHASES[operation] ?? []).map((s) => `${s.box.name}:${s.event}`) : [];
}

interface Effective {
  type: string;
  value: string;
}

/** The value each variable ends up with: override > outermost parent's scoped variable > box default. */
function effectiveVariables(root: ChangeNode, overrides: ChangeVariable[]): Map<string, Effective> {
  const chosen = new Map<string, Effective & { depth: number }>();
  const visit = (node: ChangeNode, depth: number) => {
    for (const v of node.box.variables ?? []) {
      if (v.type === 'Box') continue;
      const key = label(joinScope(node.scope, v.scope ?? ''), v.name);
      const had = chosen.get(key);
      const value = valueOf(v);
      if (!had || depth < had.depth) chosen.set(key, { type: had?.type ?? v.type ?? 'Text', value, depth });
      else if (!v.scope && had) had.type = v.type ?? had.type;
    }
    for (const c of node.children) visit(c, depth + 1);
  };
  visit(root, 0);
  for (const o of overrides) {
    const key = label(o.scope ?? '', o.name);
    const had = chosen.get(key);
    chosen.set(key, { type: had?.type ?? o.type ?? 'Text', value: valueOf(o), depth: -1 });
  }
  return new Map([...chosen].map(([k, v]) => [k, { type: v.type, value: v.value }]));
}

const valueOf = (v: ChangeVariable): string =>
  v.tags?.length
    ? `tags:${[...v.tags].sort().join(',')}`
    : v.value === undefined || v.value === null
      ? ''
      : String(v.value);

/** Whether two blob URLs hold the same bytes (same URL, or same MD5 when both are known). */
async function sameContent(a: string, b: string, md5: (url: string) => Promise<string | undefined>): Promise<boolean> {
  if (a === b) return true;
  const [x, y] = await Promise.all([md5(a), md5(b)]);
  return x !== undefined && x === y;
}

export interface ChangeInput {
  before: InstanceShape;
  after: InstanceShape;
  /** Stacks of the policy's admin boxes (outermost first); they do not change with a pull. */
  admins?: ChangeBox[][];
  /** The MD5 of a blob, by URL (undefined when unknown: then only the same URL counts as the same). */
  md5: (url: string) => Promise<string | undefined>;
}

/** What moving an instance from `before` to `after` requires, with every reason, per the rule above. */
export async function instanceChange(input: ChangeInput): Promise<ChangeEffect> {
  const admins = (input.admins ?? [])
    .map((stack, i) => treeOfStack(stack, `policy.${i}`))
    .filter((n): n is ChangeNode => n !== undefined);
  const before = treeOfStack(input.before.stack);
  const after = treeOfStack(input.after.stack);
  if (!after) throw new Error('the new box stack is empty');
  const reasons: ChangeReason[] = [];

  const scripts = (root: ChangeNode | undefined, phases: Phase[]) =>
    new Map(
      root ? phaseScripts(root, phases).map((s) => [`${s.scope}\u0000${s.event}`, { ...s, name: s.box.name }]) : [],
    );
  for (const [phases, requires] of [
    [['install'], 'reinstall'],
    [['configure'], 'reconfigure'],
    [['start', 'stop', 'dispose'], 'none'],
  ] as [Phase[], ChangeOperation][]) {
    const old = scripts(before, phases);
    const now = scripts(after, phases);
    for (const [key, s] of now) {
      const was = old.get(key);
      const name = `${s.name}:${s.event}`;
      if (!was) reasons.push({ kind: 'script', name, change: 'added', requires });
      else if (!(await sameContent(was.url, s.url, input.md5)))
        reasons.push({ kind: 'script', name, change: 'changed', requires });
    }
    for (const [key, s] of old)
      if (!now.has(key)) reasons.push({ kind: 'script', name: `${s.name}:${s.event}`, change: 'removed', requires });
  }

  const oldVars = before ? effectiveVariables(before, input.before.variables) : new Map<string, Effective>();
  const newVars = effectiveVariables(after, input.after.variables);
  for (const [name, v] of newVars) {
    const was = oldVars.get(name);
    const kind = v.type === 'File' ? 'file' : 'variable';
    if (!was) reasons.push({ kind, name, change: 'added', requires: 'reconfigure' });
    else if (was.value !== v.value && !(kind === 'file' && (await sameContent(was.value, v.value, input.md5))))
      reasons.push({ kind, name, change: 'changed', requires: 'reconfigure' });
  }
  for (const [name, v] of oldVars)
    if (!newVars.has(name))
      reasons.push({ kind: v.type === 'File' ? 'file' : 'variable', name, change: 'removed', requires: 'reconfigure' });

  const operation: ChangeOperation = reasons.some((r) => r.requires === 'reinstall')
    ? 'reinstall'
    : reasons.some((r) => r.requires === 'reconfigure')
      ? 'reconfigure'
      : 'none';
  const rank = { reinstall: 0, reconfigure: 1, none: 2 };
  reasons.sort((a, b) => rank[a.requires] - rank[b.requires]);
  return { operation, reasons, scripts: scriptLabels(wrapWithAdmins(after, admins), operation) };
}
