import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTION_ENV } from '../../src/agent/executor.js';
import { processesWithEnv } from '../../src/shared/process-tree.js';
import { executeMessage, FakeControlPlane } from './control-plane.js';
import { removeTempDirs, tempDir } from './helpers.js';

const TOKEN = 'restart-test-token';
const FIXTURE = fileURLToPath(new URL('./fixtures/agent-process.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
let cp: FakeControlPlane;
const children: ChildProcess[] = [];

beforeAll(async () => {
  cp = await FakeControlPlane.start({ token: TOKEN, pingIntervalMs: 200 });
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await cp.close();
  removeTempDirs();
});

/** Starts the agent as a separate process on the given directories. */
function agentProcess(dirs: { workdir: string; spoolDir: string }): ChildProcess {
  const opts = {
    url: cp.url,
    token: TOKEN,
    caFile: cp.caFile,
    ...dirs,
    machine: 'restart-machine',
    pingIntervalMs: 200,
    killGraceMs: 200,
    reconnect: { baseMs: 50, capMs: 200 },
  };
  const child = spawn(process.execPath, ['--import', TSX, FIXTURE, JSON.stringify(opts)], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.push(child);
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('agent restarts (real agent processes)', () => {
  it('re-sends a spooled, unacknowledged result after a crash, and never re-runs the execution', async () => {
    const dir = tempDir();
    const dirs = { workdir: join(dir, 'work'), spoolDir: join(dir, 'spool') };
    cp.autoAck = false; // the server "crashes" before acknowledging anything
    const first = agentProcess(dirs);
    await cp.waitForHello(cp.hellos().length + 1);
    const msg = executeMessage({ template: 'echo run >> runs; echo one; echo two >&2; exit 3' });
    cp.send(msg);
    const result = await cp.waitForResult(msg.executionId);
    expect(existsSync(join(dirs.spoolDir, 'exec', msg.executionId, 'result.json'))).toBe(true);
    await kill9(first);

    const hellos = cp.hellos().length;
    cp.autoAck = true;
    agentProcess(dirs);
    const hello = await cp.waitForHello(hellos + 1);
    expect(hello.pending).toEqual([msg.executionId]);
    await cp.waitFor(() => cp.resultsOf(msg.executionId).length === 2, 10_000, 'the re-sent result');
    expect(cp.resultsOf(msg.executionId)[1]).toEqual(result);
    expect(cp.linesOf(msg.executionId)).toEqual(['one', 'two']);
    expect(cp.recordsOf(msg.executionId).map((r) => r.seq)).toEqual([1, 2]);
    await cp.waitFor(() => !existsSync(join(dirs.spoolDir, 'exec', msg.executionId)), 5000, 'spool cleanup');

    cp.send(msg);
    await cp.waitFor(() => cp.received.some((m) => m.type === 'rejected' && m.executionId === msg.executionId));
    expect(readFileSync(join(dirs.workdir, 'i-test01', 'runs'), 'utf8')).toBe('run\n');
  });

  it('reports a script interrupted by an agent crash as killed and kills what it left running', async () => {
    const dir = tempDir();
    const dirs = { workdir: join(dir, 'work'), spoolDir: join(dir, 'spool') };
    const first = agentProcess(dirs);
    await cp.waitForHello(cp.hellos().length + 1);
    const msg = executeMessage({ template: 'echo started; sleep 761.25' });
    cp.send(msg);
    await cp.waitFor(() => cp.linesOf(msg.executionId).length, 10_000, 'output');
    await kill9(first);
    // Processes of this execution only (other runs of this test may have their own `sleep`).
    const mine = () => processesWithEnv(EXECUTION_ENV, msg.executionId);
    expect(mine().length).toBeGreaterThan(0); // the script outlived its agent

    agentProcess(dirs);
    const result = await cp.waitForResult(msg.executionId);
    expect(result).toMatchObject({ status: 'killed', exitCode: null, lastSeq: 1, outputLines: 1 });
    expect(result.message).toMatch(/agent stopped/);
    expect(mine()).toEqual([]);
  });
});
