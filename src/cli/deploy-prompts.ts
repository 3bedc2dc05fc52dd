import type { EbClient } from '../client/client.js';
import type { VariableOverride } from '../client/deploy.js';
import type { Box } from '../client/types.js';
import { UsageError } from './errors.js';
import { askChoice, askText, canPrompt } from './input.js';

interface Slot {
  scope: string;
  name: string;
  type: string;
  value: string;
  required: boolean;
}

const DEPLOYABLE = /\/boxes\/(script|docker)$/;
const MAX_DEPTH = 16;
const label = (s: { scope?: string; name: string }) => (s.scope ? `${s.scope}.${s.name}` : s.name);

/** Every variable of a box tree with its scope; a parent's scoped values win over its children's defaults. */
function slotsOf(stack: Box[]): Slot[] {
  const out: Slot[] = [];
  const walk = (box: Box | undefined, scope: string, depth: number) => {
    if (!box || depth > MAX_DEPTH) return;
    for (const v of box.variables ?? []) {
      if (v.scope) continue;
      if (v.type === 'Box') {
        const child = stack.find((b) => b.id === v.value || b.version?.box === v.value);
        walk(child, scope ? `${scope}.${v.name}` : v.name, depth + 1);
      } else {
        out.push({ scope, name: v.name, type: v.type, value: v.value ?? '', required: Boolean(v.required) });
      }
    }
    for (const v of box.variables ?? []) {
      if (!v.scope || !v.value) continue;
      const full = scope ? `${scope}.${v.scope}` : v.scope;
      const slot = out.find((s) => s.scope === full && s.name === v.name);
      if (slot) slot.value = v.value;
    }
  };
  walk(stack[0], '', 0);
  return out;
}

/**
 * Required variables the box tree leaves empty and the overrides do not set: asked for on a TTY
 * (Password input hidden), otherwise a usage error naming the `-v` flag to pass.
 */
export async function fillRequired(
  client: EbClient,
  box: Box,
  overrides: VariableOverride[],
  knownStack?: Box[],
): Promise<VariableOverride[]> {
  const stack = knownStack ?? (await client.boxes.stack(box.id));
  const given = (s: Slot) =>
    overrides.some((o) => o.name === s.name && (o.scope ?? '') === s.scope && (o.tags || o.value));
  const missing = slotsOf(stack).filter(
    (s) => s.required && !s.value && s.type !== 'Binding' && s.type !== 'Box' && !given(s),
  );
  const added: VariableOverride[] = [];
  for (const s of missing) {
    const flag = `-v ${label(s)}=VALUE`;
    if (!canPrompt()) throw new UsageError(`the required variable ${label(s)} has no value: pass ${flag}`);
    const value = await askText(`${box.name}: ${label(s)} (${s.type})`, flag, { secret: s.type === 'Password' });
    added.push({ name: s.name, value, ...(s.scope ? { scope: s.scope } : {}) });
  }
  return [...overrides, ...added];
}

/** Deploy without TARGET: choose one of the workspace's deployable boxes on a TTY. */
export async function chooseBox(client: EbClient, workspace: string): Promise<string> {
  const missing = 'missing TARGET: pass a box folder, a box name or id, or an application document';
  if (!canPrompt()) throw new UsageError(missing);
  const boxes = (await client.workspaces.boxes(workspace)).filter((b) => DEPLOYABLE.test(b.schema ?? ''));
  if (boxes.length === 0) throw new UsageError(`workspace ${workspace} has no box to deploy; ${missing}`);
  return askChoice(
    'Box to deploy',
    boxes.map((b) => ({ name: b.description ? `${b.name} — ${b.description}` : b.name, value: b.id })),
  );
}
