import type { ScriptStep } from '../types.js';
import { boot, destroy, powerOff, provision, waitAgent } from './machine.js';
import { bindings, remove } from './records.js';
import { runScript } from './script.js';
import type { StepOutcome, StepRun } from './step.js';

/** Runs one step of a plan by its kind. Steps are idempotent up to their recorded completion. */
export async function runStep(run: StepRun): Promise<StepOutcome> {
  const { step } = run;
  switch (step.kind) {
    case 'provision':
      return provision({ ...run, step });
    case 'wait_agent':
      return waitAgent({ ...run, step });
    case 'boot':
      return boot({ ...run, step });
    case 'script':
      return runScript({ ...run, step: step as ScriptStep });
    case 'bindings':
      return bindings(run);
    case 'power_off':
      return powerOff({ ...run, step });
    case 'destroy':
      return destroy({ ...run, step });
    case 'remove':
      return remove(run);
  }
}
