import type { Transaction } from 'kysely';
import type { ErrorCode } from '../../../shared/errors.js';
import type { NewEvent } from '../../events/log.js';
import type { Database } from '../../store/schema.js';
import type { EngineEnv } from '../env.js';
import type { StepSpec, Workflow } from '../types.js';

/** One step to run: the workflow, the step's index in the plan and its spec. */
export interface StepRun<S = StepSpec> {
  env: EngineEnv;
  wf: Workflow;
  index: number;
  step: S;
  /** Aborted when the worker stops or loses the workflow's lease. */
  signal: AbortSignal;
}

/** Durable effects of a step, written in the transaction that records its completion. */
export type Commit = (trx: Transaction<Database>, events: NewEvent[]) => Promise<void>;

export interface StepOutcome {
  ok: boolean;
  /** Stored in the step's `step_results` row. */
  result: Record<string, unknown>;
  /** Why the step failed; becomes the operation's error and the failure activity text. */
  error?: string;
  /** Why the step failed, machine-readable (shared/errors.ts); recorded on the failure activity. */
  code?: ErrorCode;
  commit?: Commit;
}

export const failed = (error: string, commit?: Commit, code?: ErrorCode): StepOutcome => ({
  ok: false,
  result: { error },
  error,
  commit,
  ...(code ? { code } : {}),
});
