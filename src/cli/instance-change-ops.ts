import type { EbClient } from '../client/client.js';
import { toDeployVariables, type VariableOverride } from '../client/deploy.js';
import type { Box, Instance, PullAnswer, Variable } from '../client/types.js';
import { COMPLETION_EVENTS } from '../client/wait.js';
import { sameOverrides } from './apply-plan.js';
import { awaitOutcome, errorResult, operate, type TargetResult } from './operations.js';

export interface ChangeOptions {
  wait: boolean;
  deadline: number;
  onChange: (doc: Instance) => void;
}

/** The instance's overrides with `given` put over them (matched on scope and name). */
export function mergeOverrides(current: Variable[], given: Variable[]): Variable[] {
  const key = (v: Variable) => `${v.scope ?? ''}.${v.name}`;
  const out = new Map(current.map((v) => [key(v), v]));
  for (const v of given) out.set(key(v), v);
  return [...out.values()];
}

/**
 * `instances set`: puts the overrides on the instance (`PUT /services/instances/{id}`), then
 * reconfigures it unless told not to. Values equal to the current ones change nothing.
 */
export async function setVariables(
  client: EbClient,
  doc: Instance,
  overrides: VariableOverride[],
  opts: ChangeOptions & { reconfigure: boolean },
): Promise<TargetResult> {
  const base: TargetResult = { id: doc.id, name: doc.name, operation: 'set', outcome: 'done', exitCode: 0 };
  const typed = await toDeployVariables(client, doc.box, overrides, { stack: doc.boxes as Box[] | undefined });
  const current = doc.variables ?? [];
  const merged = mergeOverrides(current, typed);
  if (sameOverrides(current, merged)) return { ...base, message: 'unchanged: the variables already have these values' };
  let updated: Instance;
  try {
    updated = await client.instances.update(doc.id, { variables: merged });
  } catch (err) {
    return errorResult(base, err);
  }
  if (!opts.reconfigure) return { ...base, message: 'variables set; not reconfigured (--no-reconfigure)' };
  return operate(client, { id: doc.id, doc: updated }, 'reconfigure', opts);
}

export interface PullResult extends TargetResult {
  box?: string;
  changes?: PullAnswer['changes'];
  scripts?: string[];
}

/** `instances pull`: moves the instance to a version of its box and waits for what the server started. */
export async function pullInstance(
  client: EbClient,
  doc: Instance,
  boxId: string | undefined,
  opts: ChangeOptions,
): Promise<PullResult> {
  const base: PullResult = { id: doc.id, name: doc.name, operation: 'pull', outcome: 'accepted', exitCode: 0 };
  let answer: PullAnswer;
  try {
    answer = await client.instances.pull(doc.id, boxId ? { boxId } : {});
  } catch (err) {
    return errorResult(base, err);
  }
  const result: PullResult = { ...base, box: answer.box, changes: answer.changes, scripts: answer.scripts };
  const events = COMPLETION_EVENTS[answer.method];
  if (!events) return { ...result, outcome: 'done', state: 'running', message: 'no scripts to run' };
  if (!opts.wait) return { ...result, operation: answer.method, state: 'processing' };
  return {
    ...result,
    ...(await awaitOutcome(
      { client, deadline: opts.deadline, onChange: opts.onChange },
      { id: doc.id, events, since: doc.updated },
      { ...result, operation: answer.method },
    )),
  };
}
