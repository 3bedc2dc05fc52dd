import { EventEmitter } from 'node:events';
import { EventBus } from '../../src/server/events/log.js';
import type { Db } from '../../src/server/store/db.js';
import { DEFAULT_TUNABLES, type EngineEnv, type Tunables } from '../../src/server/workflows/env.js';
import { insertWorkflow } from '../../src/server/workflows/store/workflows.js';
import type { StepSpec } from '../../src/server/workflows/types.js';
import { newUuid } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';

/**
 * An engine environment over a real SQLite store. Steps are run by the test's own runner, so
 * agents and providers are never reached (they throw if they are).
 */
export function engineEnv(db: Db, tunables: Partial<Tunables> = {}): EngineEnv {
  const events = new EventEmitter();
  return {
    db,
    bus: new EventBus(),
    dataDir: '/nonexistent',
    publicUrl: () => 'https://127.0.0.1:1',
    agents: {
      events,
      session: () => undefined,
      send: () => false,
      dispatch: () => false,
      resultStored: (id) => void events.emit(`result:${id}`),
      disconnect: () => undefined,
    },
    providerFor: async () => {
      throw new Error('no providers in engine tests');
    },
    tunables: { ...DEFAULT_TUNABLES, leaseMs: 600, pollMs: 50, ...tunables },
  };
}

/** Inserts an open workflow of `steps` placeholder steps for a made-up instance; returns its id. */
export async function addWorkflow(db: Db, steps: number, instanceId = `i-${newUuid().slice(0, 6)}`): Promise<string> {
  const id = newUuid();
  const plan: StepSpec[] = Array.from({ length: steps }, () => ({ kind: 'bindings' }));
  await insertWorkflow(db, {
    id,
    instanceId,
    workspace: 'admin',
    operation: 'reconfigure',
    plan,
    username: 'admin',
    requestId: id,
    created: timestamp(),
  });
  return id;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every given workflow has ended. */
export async function untilEnded(db: Db, ids: string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await db
      .selectFrom('workflows')
      .select('id')
      .where('id', 'in', ids)
      .where('state', 'in', ['pending', 'running'])
      .execute();
    if (!open.length) return;
    await sleep(20);
  }
  throw new Error('workflows did not end in time');
}
