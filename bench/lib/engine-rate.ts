/** T09's target side on any store: the real workflow engine running steps that do no work. */
import { EventEmitter } from 'node:events';
import { EventBus } from '../../src/server/events/log.js';
import type { Db } from '../../src/server/store/db.js';
import { DEFAULT_TUNABLES, type EngineEnv } from '../../src/server/workflows/env.js';
import { WorkflowWorker } from '../../src/server/workflows/worker.js';
import { insertWorkflow } from '../../src/server/workflows/store/workflows.js';
import type { StepSpec } from '../../src/server/workflows/types.js';
import { newUuid } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';

/** An engine environment with no providers or agents: only `bindings` steps run. */
function env(db: Db, concurrency: number): EngineEnv {
  const unreachable = async () => {
    throw new Error('no providers in this benchmark');
  };
  return {
    db,
    bus: new EventBus(),
    dataDir: '/nonexistent',
    publicUrl: () => 'https://127.0.0.1:1',
    agents: {
      events: new EventEmitter(),
      session: () => undefined,
      send: () => false,
      dispatch: () => false,
      resultStored: () => undefined,
      disconnect: () => undefined,
    },
    providerFor: unreachable,
    tunables: { ...DEFAULT_TUNABLES, pollMs: 20, concurrency },
  };
}

const count = async (db: Db, q: 'open' | 'steps'): Promise<number> => {
  const query =
    q === 'open'
      ? db
          .selectFrom('workflows')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', 'in', ['pending', 'running'])
      : db.selectFrom('step_results').select((eb) => eb.fn.countAll<number>().as('n'));
  return Number((await query.executeTakeFirstOrThrow()).n);
};

export interface EngineRun {
  workflows: number;
  steps: number;
  /** Workflows in flight at once (default: the server's). */
  concurrency?: number;
}

/**
 * Inserts `workflows` workflows of `steps` no-op steps into `db`, runs a worker until none is open,
 * checks every step committed once, and resolves with durable step transitions per second.
 */
export async function engineRate(db: Db, run: EngineRun): Promise<{ rate: number; steps: number; seconds: number }> {
  const plan: StepSpec[] = Array.from({ length: run.steps }, () => ({ kind: 'bindings' }));
  for (let i = 0; i < run.workflows; i++) {
    const id = newUuid();
    await insertWorkflow(db, {
      id,
      instanceId: `i-b${String(i).padStart(5, '0')}`,
      workspace: 'admin',
      operation: 'reconfigure',
      plan,
      username: 'admin',
      requestId: id,
      created: timestamp(),
    });
  }
  const concurrency = run.concurrency ?? DEFAULT_TUNABLES.concurrency;
  const worker = new WorkflowWorker(env(db, concurrency), { runner: async () => ({ ok: true, result: {} }) });
  const start = performance.now();
  await worker.start();
  while ((await count(db, 'open')) > 0) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - start) / 1000;
  await worker.stop();
  const steps = await count(db, 'steps');
  const expected = run.workflows * run.steps;
  if (steps !== expected) throw new Error(`expected ${expected} step results, found ${steps}`);
  return { rate: steps / seconds, steps, seconds };
}
