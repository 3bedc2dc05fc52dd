import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/store/db.js';
import { WorkflowWorker } from '../../src/server/workflows/worker.js';
import { getWorkflow } from '../../src/server/workflows/store/workflows.js';
import { dropTestDatabase, onPostgres, openTestStore, testDatabaseUrl } from '../helpers/store.js';
import { addWorkflow, engineEnv, untilEnded } from './engine-env.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/replica-worker.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const LEASE_MS = 1500;

let dir: string;
let file: string;
let db: Db | undefined;
let child: ChildProcess | undefined;
let worker: WorkflowWorker | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ebcli-replicas-'));
  file = join(dir, 'ebcli.db');
});
afterEach(async () => {
  child?.kill('SIGKILL');
  await worker?.stop().catch(() => undefined);
  await db?.destroy().catch(() => undefined);
  await dropTestDatabase(file);
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the other replica's process; resolves with its worker id once it hangs inside step `hangAt`. */
function startReplica(database: string, effects: string, hangAt: number): Promise<string> {
  const proc = spawn(
    process.execPath,
    ['--import', TSX, FIXTURE, database, file, effects, String(hangAt), String(LEASE_MS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = proc;
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^HUNG (\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', (code) => reject(new Error(`replica exited (${code}) before hanging: ${out}${err}`)));
  });
}

describe(`control-plane replicas on ${onPostgres ? 'PostgreSQL' : 'SQLite'} (F3)`, () => {
  it('a replica killed mid-workflow loses its lease after the timeout; the other resumes at the first unfinished step', async () => {
    db = await openTestStore(file);
    const id = await addWorkflow(db, 5);
    const effects = join(dir, 'effects');

    const deadOwner = await startReplica((await testDatabaseUrl(file)) ?? '', effects, 2);
    const before = await getWorkflow(db, id);
    expect(before).toMatchObject({ state: 'running', nextStep: 2 });
    const held = await db.selectFrom('workflows').select('lease_owner').where('id', '=', id).executeTakeFirstOrThrow();
    expect(held.lease_owner).toBe(deadOwner);

    // The surviving replica is already running when the other one dies.
    const resumed: { index: number; at: number }[] = [];
    worker = new WorkflowWorker(engineEnv(db, { leaseMs: LEASE_MS }), {
      runner: async ({ index }) => {
        resumed.push({ index, at: Date.now() });
        return { ok: true, result: {} };
      },
    });
    await worker.start();
    const exited = new Promise((r) => child!.once('exit', r));
    child!.kill('SIGKILL');
    await exited;
    const lease = await db
      .selectFrom('workflows')
      .select('lease_expires')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

    await untilEnded(db, [id], 30_000);
    expect(resumed.map((r) => r.index)).toEqual([2, 3, 4]);
    // Not before the dead replica's lease ran out.
    expect(resumed[0]!.at).toBeGreaterThanOrEqual(lease.lease_expires);
    expect(readFileSync(effects, 'utf8').trim().split('\n')).toEqual(['0', '1', '2-started']);
    const steps = await db
      .selectFrom('step_results')
      .select(['step', 'outcome'])
      .where('workflow_id', '=', id)
      .orderBy('step')
      .execute();
    expect(steps).toEqual([0, 1, 2, 3, 4].map((step) => ({ step, outcome: 'ok' })));
    expect((await getWorkflow(db, id))?.state).toBe('done');
  }, 60_000);
});
