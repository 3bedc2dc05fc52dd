import { conflict } from '../http/errors.js';
import type { InstanceDoc } from '../instances/store.js';
import type { Operation } from './types.js';

/** How a CLI reads an instance (cam-api.md §3.4): from its state and last operation event. */
export type Condition = 'busy' | 'running' | 'stopped' | 'terminated' | 'failed' | 'failed-terminate';

const STOP_EVENTS = new Set(['shutdown', 'shutdown_service']);
const TERMINATE_EVENTS = new Set(['terminate', 'terminate_service']);

export function conditionOf(doc: Pick<InstanceDoc, 'state' | 'operation'>): Condition {
  const event = doc.operation?.event ?? '';
  if (doc.state === 'processing') return 'busy';
  if (doc.state === 'unavailable') return TERMINATE_EVENTS.has(event) ? 'failed-terminate' : 'failed';
  if (TERMINATE_EVENTS.has(event)) return 'terminated';
  if (STOP_EVENTS.has(event)) return 'stopped';
  return 'running';
}

/** Why an operation cannot run on an instance in this condition, or undefined when it can. */
export function transitionProblem(condition: Condition, op: Operation): string | undefined {
  if (condition === 'busy') return undefined;
  const gone = condition === 'terminated' || condition === 'failed-terminate';
  switch (op) {
    case 'deploy':
      return 'the instance is already deployed';
    case 'redeploy':
      if (gone) return `the instance is ${condition === 'terminated' ? 'terminated' : 'being terminated'}`;
      return undefined;
    case 'reconfigure':
    case 'reinstall':
      if (gone) return `the instance is ${condition === 'terminated' ? 'terminated' : 'being terminated'}`;
      if (condition === 'stopped') return 'the instance is stopped: power it on first';
      return undefined;
    case 'poweron':
      if (gone) return `the instance is ${condition === 'terminated' ? 'terminated' : 'being terminated'}`;
      return undefined;
    case 'shutdown':
      if (gone) return `the instance is ${condition === 'terminated' ? 'terminated' : 'being terminated'}`;
      if (condition === 'stopped') return 'the instance is already stopped';
      return undefined;
    case 'terminate':
      if (condition === 'terminated') return 'the instance is already terminated';
      if (condition === 'failed-terminate') return 'a terminate of this instance failed: use force_terminate';
      return undefined;
    case 'force_terminate':
      return condition === 'terminated' ? 'the instance is already terminated' : undefined;
    case 'delete':
      return gone && condition === 'terminated' ? undefined : 'terminate the instance before deleting it';
  }
}

/**
 * Throws 409 unless the operation may start now (cam-api.md §1: "Operation Conflict" when busy).
 * force_terminate is not held back by a busy instance: it cancels the open operation (begin.ts).
 */
export function assertTransition(doc: InstanceDoc, op: Operation, openOperation?: string): void {
  if (openOperation || (doc.state === 'processing' && op !== 'force_terminate')) {
    const what = openOperation ?? doc.operation?.event ?? 'another operation';
    throw conflict(`Operation Conflict: instance ${doc.id} is busy with ${what}; try again when it has finished`);
  }
  const problem = transitionProblem(conditionOf(doc), op);
  if (problem) throw conflict(`Cannot ${op.replace('_', ' ')} instance ${doc.id}: ${problem}`);
}
