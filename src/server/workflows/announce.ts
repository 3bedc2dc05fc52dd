import type { EventBus } from '../events/log.js';

/** Bus event that tells workers a workflow was created (emitted after the commit). */
export const WORKFLOW_CREATED = 'workflow.created';

export const announceWorkflow = (bus: EventBus): void => {
  bus.emit(WORKFLOW_CREATED);
};
