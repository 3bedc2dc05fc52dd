/** Instance operations that run as workflows (cam-api.md §4.1). */
export const OPERATIONS = [
  'deploy',
  'redeploy',
  'reconfigure',
  'reinstall',
  'poweron',
  'shutdown',
  'terminate',
  'force_terminate',
  'delete',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Script phases; each runs the matching events of every box of the tree in a fixed order. */
export type Phase = 'install' | 'configure' | 'start' | 'stop' | 'dispose';

/** One script of a phase: the event of one box of the tree. */
export interface ScriptStep {
  kind: 'script';
  phase: Phase;
  event: string;
  /** Dotted Box-variable path from the main box ('' = main box; `policy.<var>` = admin box). */
  scope: string;
  boxId: string;
  boxName: string;
  /** Blob URL of the script. */
  script: string;
  machine: string;
}

/** A step of a workflow plan. The plan is fixed when the workflow is created. */
export type StepSpec =
  | { kind: 'provision'; machine: string }
  | { kind: 'wait_agent'; machine: string }
  | { kind: 'boot'; machine: string }
  | ScriptStep
  | { kind: 'bindings' }
  | { kind: 'power_off'; machine: string }
  | { kind: 'destroy'; machine: string }
  | { kind: 'remove' };

export type WorkflowState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** A workflow row with its plan parsed. */
export interface Workflow {
  id: string;
  instanceId: string;
  workspace: string;
  operation: Operation;
  state: WorkflowState;
  plan: StepSpec[];
  nextStep: number;
  leaseOwner: string | null;
  leaseExpires: number;
  username: string;
  requestId: string;
  created: string;
}

/** What the instance document's `operation.event` becomes when each operation starts. */
export const START_EVENT: Record<Operation, string> = {
  deploy: 'deploy',
  // PUT …/deploy: the deploy phases again; clients wait for a `deploy` event (cam-api.md §4.4).
  redeploy: 'deploy',
  reconfigure: 'reconfigure',
  reinstall: 'reinstall',
  poweron: 'poweron',
  shutdown: 'shutdown',
  terminate: 'terminate',
  force_terminate: 'terminate',
  delete: 'terminate_service',
};
