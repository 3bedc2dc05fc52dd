import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { EbClient } from './client.js';
import { NotFoundError } from './errors.js';
import type { Box, Variable } from './types.js';

/** A variable override as given on the command line or in an application document. */
export interface VariableOverride {
  name: string;
  /** Dotted path of Box-variable names for a nested box. */
  scope?: string;
  value?: string;
  /** Binding by tags instead of an instance id. */
  tags?: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a box reference is an id (of a box or a version) rather than a name. */
export const isBoxId = (ref: string): boolean => UUID.test(ref);

const notFound = (message: string) => new NotFoundError({ status: 404, message, method: 'GET', path: '' });

const isPolicy = (b: Box) => String(b.schema ?? '').endsWith('/boxes/policy');

async function candidates(client: EbClient, workspace: string): Promise<Box[]> {
  const [inWorkspace, all] = await Promise.all([
    client.workspaces.boxes(workspace).catch(() => [] as Box[]),
    client.boxes.list().catch(() => [] as Box[]),
  ]);
  const seen = new Set<string>();
  return [...inWorkspace, ...all].filter((b) => !seen.has(b.id) && seen.add(b.id));
}

/**
 * Finds the box to deploy: an id deploys exactly that box or version; `[owner/]name` (or a
 * `friendly_id`) finds the draft, looked up in the workspace first, and deploys its latest version.
 */
export async function findBox(client: EbClient, ref: string, workspace: string): Promise<Box> {
  if (UUID.test(ref)) return client.boxes.retrieve(ref);
  const slash = ref.indexOf('/');
  const owner = slash > 0 ? ref.slice(0, slash) : undefined;
  const name = slash > 0 ? ref.slice(slash + 1) : ref;
  const boxes = await candidates(client, owner ?? workspace);
  const draft = boxes.find(
    (b) => !b.version && (b.name === name || b.friendly_id === name) && (!owner || b.owner === owner),
  );
  if (!draft) throw notFound(`Box ${ref} not found`);
  const versions = await client.boxes.versions(draft.id).catch(() => [] as Box[]);
  return versions[0] ?? draft;
}

/** The first policy box whose claims include every requested claim and box requirement. */
export async function findPolicy(
  client: EbClient,
  workspace: string,
  claims: string[],
  requirements: string[] = [],
): Promise<Box> {
  const need = [...new Set([...claims, ...requirements])];
  const policies = (await candidates(client, workspace)).filter(isPolicy);
  const match = policies.find((p) => need.every((c) => (p.claims ?? []).includes(c)));
  if (!match) throw notFound(`No policy box has the claims ${need.join(', ')}`);
  return match;
}

/** The type of `scope.name` in a box stack (the box itself first), following Box variables. */
export function variableType(stack: Box[], scope: string | undefined, name: string): Variable['type'] | undefined {
  let box = stack[0];
  for (const part of scope ? scope.split('.') : []) {
    const child = box?.variables?.find((v) => v.type === 'Box' && v.name === part);
    box = stack.find((b) => b.id === child?.value || b.version?.box === child?.value);
  }
  return box?.variables?.find((v) => v.name === name && !v.scope)?.type;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Turns overrides into deploy-request variables, typed through `GET /boxes/{id}/stack` (or the
 * stack given). A File variable whose value names a local file is uploaded first and replaced by the
 * blob URL, unless `upload` is false.
 */
export async function toDeployVariables(
  client: EbClient,
  boxId: string,
  overrides: VariableOverride[],
  opts: { stack?: Box[]; upload?: boolean } = {},
): Promise<Variable[]> {
  if (overrides.length === 0) return [];
  const stack = opts.stack ?? (await client.boxes.stack(boxId).catch(() => [] as Box[]));
  const out: Variable[] = [];
  for (const o of overrides) {
    const type = variableType(stack, o.scope, o.name) ?? (o.tags ? 'Binding' : 'Text');
    const v: Variable = { name: o.name, type, ...(o.scope ? { scope: o.scope } : {}) };
    if (o.tags) v.tags = o.tags;
    else v.value = o.value ?? '';
    if (type === 'File' && opts.upload !== false && v.value && (await isFile(v.value))) {
      const blob = await client.blobs.upload(basename(v.value), await readFile(v.value));
      v.value = blob.url;
    }
    out.push(v);
  }
  return out;
}

/** `NAME=VALUE` or `scope.NAME=VALUE` → an override; undefined when there is no `=`. */
export function parseOverride(text: string): VariableOverride | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  const key = text.slice(0, eq);
  const dot = key.lastIndexOf('.');
  const value = text.slice(eq + 1);
  return dot > 0 ? { scope: key.slice(0, dot), name: key.slice(dot + 1), value } : { name: key, value };
}
