import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/store/db.js';
import { openTestStore } from '../helpers/store.js';
import type { EngineEnv } from '../../src/server/workflows/env.js';
import { executionLeaseMs, expireSilentExecutions } from '../../src/server/workflows/execution-lease.js';
import { activitiesOf } from '../../src/server/workflows/store/activities.js';
import { executionId, getExecution } from '../../src/server/workflows/store/executions.js';
import { recordPing, upsertMachine } from '../../src/server/workflows/store/machines.js';
import { storeExecutionResult } from '../../src/server/ws/agent-records.js';
import { parseTimestamp, timestamp } from '../../src/shared/time.js';
import { addWorkflow, engineEnv } from './engine-env.js';

let dir: string;
let db: Db;
let env: EngineEnv;
const P = 1000;
const LEASE = 3 * P;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebcli-exec-lease-'));
  db = await openTestStore(join(dir, 'ebcli.db'));
  env = engineEnv(db, { pingIntervalMs: P });
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A machine that was last heard now, and an open workflow waiting for an execution on it. */
async function dispatched(): Promise<{ id: string; heard: number }> {
  const instanceId = 'i-1';
  await upsertMachine(db, {
    name: 'm-1',
    instanceId,
    workspace: 'admin',
    serviceId: 's-1',
    providerId: 'p-1',
    token: 'token-of-m-1',
    address: { public: '127.0.0.1', private: '127.0.0.1' },
  });
  await recordPing(db, 'm-1');
  const wf = await addWorkflow(db, 2, instanceId);
  const id = executionId(wf, 0);
  await db
    .insertInto('executions')
    .values({
      id,
      workflow_id: wf,
      step: 0,
      instance_id: instanceId,
      workspace: 'admin',
      machine: 'm-1',
      scope: '',
      box_name: 'Box',
      event: 'install',
      activity_id: null,
      status: null,
      exit_code: null,
      message: null,
      truncated: 0,
      last_seq: null,
      stored_seq: 0,
      stored_bytes: 0,
      created: timestamp(),
      finished: null,
    })
    .execute();
  const ping = (await db.selectFrom('machines').select('last_agent_ping').executeTakeFirstOrThrow()).last_agent_ping;
  const created = (await getExecution(db, id))!.created;
  // The lease runs from the later of the last heartbeat and the dispatch.
  return { id, heard: Math.max(parseTimestamp(ping as string)!, parseTimestamp(created)!) };
}

describe('execution lease', () => {
  it('is 3P', () => {
    expect(executionLeaseMs({ pingIntervalMs: 20_000 })).toBe(60_000);
  });

  it('ends agent-lost, once, an execution whose agent is gone and silent for longer than the lease', async () => {
    const { id, heard } = await dispatched();
    const woken: string[] = [];
    env.agents.events.on(`result:${id}`, () => woken.push(id));
    expect(await expireSilentExecutions(env, 0, heard + LEASE)).toEqual([]);
    expect((await getExecution(db, id))?.status).toBeNull();
    expect(await expireSilentExecutions(env, 0, heard + LEASE + 1)).toEqual([id]);
    expect(await getExecution(db, id)).toMatchObject({
      status: 'agent-lost',
      message: 'the agent of machine m-1 was silent for more than 3 s',
    });
    expect(woken).toEqual([id]);
    expect(await expireSilentExecutions(env, 0, heard + 10 * LEASE)).toEqual([]);
  });

  it('never counts the time before the server started and its agents could reconnect', async () => {
    const { heard } = await dispatched();
    const later = heard + 100 * LEASE;
    // After a start, agents get their reconnect cap (here 5 s) before the lease runs.
    const start = later - LEASE - 5000;
    expect(await expireSilentExecutions(env, start, later)).toEqual([]);
    expect(await expireSilentExecutions(env, start, later + 1)).toHaveLength(1);
  });

  it('never ends an execution while its agent is connected', async () => {
    const { id, heard } = await dispatched();
    env.agents.session = () => ({ id: 1, holds: () => false });
    expect(await expireSilentExecutions(env, 0, heard + 100 * LEASE)).toEqual([]);
    expect((await getExecution(db, id))?.status).toBeNull();
  });

  it("acknowledges the agent's late real result without a second result and records it once", async () => {
    const { id, heard } = await dispatched();
    await expireSilentExecutions(env, 0, heard + LEASE + 1);
    const real = { status: 'success' as const, exitCode: 0, message: null, truncated: false, lastSeq: 0 };
    for (let i = 0; i < 2; i++) {
      const stored = await storeExecutionResult(db, 'm-1', id, real, { fromAgent: true });
      expect(stored).toMatchObject({ fresh: false, complete: true });
    }
    expect((await getExecution(db, id))?.status).toBe('agent-lost');
    const texts = (await activitiesOf(db, 'i-1')).map((a) => a.text);
    expect(texts).toEqual([
      'Late result of install:Box in machine m-1 (success, exit code 0) ignored: the execution had already ended agent-lost.',
    ]);
    const finishes = await db.selectFrom('events').select('type').where('type', '=', 'script.finish').execute();
    expect(finishes).toHaveLength(1);
  });
});
