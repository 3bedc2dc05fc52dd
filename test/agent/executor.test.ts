import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interpreter, scriptEnv, ScriptRun, type ScriptSpec } from '../../src/agent/executor.js';
import type { OutputLine } from '../../src/agent/output.js';
import { processesWithEnv } from '../../src/shared/process-tree.js';
import { MAX_CHUNK_BYTES } from '../../src/shared/protocol.js';
import { Redactor } from '../../src/shared/redact.js';
import { groupGone, processesMatching, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

let n = 0;
async function run(script: string, overrides: Partial<ScriptSpec> = {}) {
  const dir = tempDir();
  const lines: OutputLine[] = [];
  const executionId = `exec-${++n}-${process.pid}`;
  const spec: ScriptSpec = {
    executionId,
    script,
    cwd: join(dir, 'work', 'i-abc123'),
    env: scriptEnv(process.env, {}, { ELASTICBOX_EXECUTION_ID: executionId }, join(dir, 'bin')),
    scriptsDir: join(dir, 'scripts'),
    timeoutMs: 10_000,
    outputCapBytes: 4 * 1024 * 1024,
    killGraceMs: 300,
    redactor: new Redactor([]),
    ...overrides,
  };
  const runner = new ScriptRun(spec, (line) => lines.push(line));
  const outcome = await runner.done;
  const text = (stream: 'stdout' | 'stderr') =>
    lines
      .filter((l) => l.stream === stream)
      .map((l) => l.line)
      .join('\n');
  return { outcome, lines, pgid: runner.pgid!, text, spec };
}

describe('ScriptRun', () => {
  it('runs in the instance folder with the variables in its environment', async () => {
    const env = scriptEnv(
      process.env,
      { GREETING: 'hi there', 'bad-name': 'x', LD_PRELOAD: '/evil.so', PATH: '/nope' },
      { ELASTICBOX_SCOPE: 'web.db' },
      '/opt/agent/bin',
    );
    const { outcome, text, spec } = await run(
      'echo "$GREETING"; pwd; echo "$ELASTICBOX_SCOPE"; echo "${LD_PRELOAD:-unset}"; echo "$PATH"',
      { env },
    );
    expect(outcome).toMatchObject({ status: 'success', exitCode: 0, truncated: false });
    const [greeting, cwd, scope, preload, path] = text('stdout').split('\n');
    expect(greeting).toBe('hi there');
    expect(cwd).toBe(spec.cwd);
    expect(scope).toBe('web.db');
    expect(preload).toBe('unset');
    expect(path!.startsWith('/opt/agent/bin:')).toBe(true);
  });

  it('streams stdout and stderr line by line, in order per stream', async () => {
    const { lines, outcome } = await run('for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf "no newline"');
    expect(outcome.status).toBe('success');
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual([
      'out1',
      'out2',
      'out3',
      'no newline',
    ]);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['err1', 'err2', 'err3']);
    expect(lines.every((l) => !l.partial)).toBe(true);
  });

  it('reports non-zero exit codes as failed, 100 included, as they are', async () => {
    expect((await run('exit 3')).outcome).toMatchObject({ status: 'failed', exitCode: 3 });
    expect((await run('exit 100')).outcome).toMatchObject({ status: 'failed', exitCode: 100 });
  });

  it('honours a shebang line', async () => {
    expect(interpreter('#!/usr/bin/env python3 -u\nprint(1)', '/f')).toEqual(['/usr/bin/env', 'python3 -u', '/f']);
    const { text } = await run('#!/bin/sh\necho "sh says $0"');
    expect(text('stdout')).toMatch(/^sh says .*\.sh$/);
  });

  it('splits a long line into chunks of at most 64 KiB and turns binary into replacement characters', async () => {
    const { lines } = await run(`head -c 200000 /dev/zero | tr '\\0' 'x'; echo; printf 'a\\xff\\xfeb\\n'`);
    const chunks = lines.filter((l) => l.line.startsWith('x'));
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((c) => Buffer.byteLength(c.line) <= MAX_CHUNK_BYTES)).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.partial)).toBe(true);
    expect(chunks.at(-1)!.partial).toBe(false);
    expect(chunks.map((c) => c.line).join('')).toBe('x'.repeat(200000));
    expect(lines.at(-1)!.line).toBe('a\ufffd\ufffdb');
  });

  it('caps output, keeps head and tail, marks it truncated and keeps the exit status', async () => {
    const cap = 64 * 1024;
    const { outcome, lines } = await run('for i in $(seq 1 20000); do echo "line $i"; done; exit 0', {
      outputCapBytes: cap,
    });
    expect(outcome).toMatchObject({ status: 'success', exitCode: 0, truncated: true });
    const bytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l.line) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(cap);
    expect(lines[0]!.line).toBe('line 1');
    expect(lines.at(-1)!.line).toBe('line 20000');
    expect(lines.some((l) => /output truncated, \d+ bytes in \d+ lines omitted/.test(l.line))).toBe(true);
  });

  it('masks secrets in the stream, also across a long-line chunk boundary', async () => {
    const secret = 'Tr0ub4dor&3-horse';
    const script = [
      `echo "raw ${secret}"`,
      `echo "b64 $(printf '%s' '${secret}' | base64)"`,
      `echo 'url Tr0ub4dor%263-horse json "Tr0ub4dor&3-horse"' >&2`,
      `head -c 65530 /dev/zero | tr '\\0' 'y'; printf '%s\\n' '${secret}'`,
    ].join('\n');
    const { lines } = await run(script, { redactor: new Redactor([secret]) });
    const all = lines.map((l) => l.line).join('');
    expect(all).not.toContain('Tr0ub4dor');
    expect(all).not.toContain(Buffer.from(secret).toString('base64'));
    expect(lines.map((l) => l.line)).toContain('raw ***');
    expect(lines.map((l) => l.line)).toContain('b64 ***');
    expect(all).toContain('y'.repeat(100) + '***');
  });

  it('on timeout kills the whole process group and reports timeout', async () => {
    const { outcome, pgid } = await run('sleep 701.25 & sleep 702.25 & sleep 703.25', { timeoutMs: 300 });
    expect(outcome.status).toBe('timeout');
    expect(await groupGone(pgid)).toBe(true);
    expect(processesMatching(/sleep 70\d\.25/)).toEqual([]);
  });

  it('kills a script that ignores SIGTERM after the grace period', async () => {
    const { outcome, pgid } = await run(`trap '' TERM; sleep 711.25 & sleep 712.25; echo survived`, {
      timeoutMs: 300,
      killGraceMs: 200,
    });
    expect(outcome).toMatchObject({ status: 'timeout', signal: 'SIGKILL' });
    expect(await groupGone(pgid)).toBe(true);
    expect(processesMatching(/sleep 71\d\.25/)).toEqual([]);
  });

  it('also catches a setsid-escaped child that kept its environment', async () => {
    const { outcome, spec } = await run('setsid sleep 721.25 > /dev/null 2>&1 < /dev/null & sleep 722.25', {
      timeoutMs: 400,
    });
    expect(outcome.status).toBe('timeout');
    expect(processesWithEnv('ELASTICBOX_EXECUTION_ID', spec.executionId)).toEqual([]);
    expect(processesMatching(/sleep 72\d\.25/)).toEqual([]);
  });

  it('cancel kills the group with status killed', async () => {
    const dir = tempDir();
    const runner = new ScriptRun(
      {
        executionId: `cancel-${process.pid}`,
        script: 'echo started; sleep 731.25',
        cwd: dir,
        env: scriptEnv(process.env, {}, {}, dir),
        scriptsDir: join(dir, 'scripts'),
        timeoutMs: 10_000,
        outputCapBytes: 1 << 20,
        killGraceMs: 200,
        redactor: new Redactor([]),
      },
      (line) => line.line === 'started' && runner.cancel(),
    );
    const outcome = await runner.done;
    expect(outcome.status).toBe('killed');
    expect(await groupGone(runner.pgid!)).toBe(true);
  });

  it('does not wait for, or kill, a background daemon that holds the output pipe', async () => {
    // Each tick goes into the pipe first, then into a file: a tick in the file written after the
    // run ended is one the daemon survived writing into the pipe (SIGPIPE would have ended it first).
    const ticks = join(tempDir(), 'ticks');
    const { outcome, lines } = await run(
      `sh -c 'while :; do echo tick; echo tick >> ${ticks}; sleep 0.05; done' ebcli-test-daemon-7041 & echo done`,
    );
    expect(outcome.status).toBe('success');
    expect(lines.map((l) => l.line)).toContain('done');
    const ticksAt = (): number => (existsSync(ticks) ? readFileSync(ticks, 'utf8').split('\n').length - 1 : 0);
    const atEnd = ticksAt();
    await expect.poll(ticksAt, { timeout: 10_000 }).toBeGreaterThanOrEqual(atEnd + 3);
    const daemons = processesMatching('ebcli-test-daemon-7041');
    expect(daemons).toHaveLength(1); // still writing into the pipe, not killed by SIGPIPE
    for (const pid of daemons) process.kill(pid, 'SIGKILL');
  });

  it('survives a hostile script: 16 MiB of binary without structure, 200 children, then a timeout', async () => {
    const cap = 256 * 1024;
    const flood = await run('head -c 16777216 /dev/urandom; exit 0', { outputCapBytes: cap });
    expect(flood.outcome).toMatchObject({ status: 'success', exitCode: 0, truncated: true });
    expect(flood.lines.reduce((sum, l) => sum + Buffer.byteLength(l.line) + 1, 0)).toBeLessThanOrEqual(cap);
    expect(flood.lines.every((l) => Buffer.byteLength(l.line) <= MAX_CHUNK_BYTES)).toBe(true);
    const forks = await run('for i in $(seq 1 200); do sleep 781.25 & done; sleep 782.25', { timeoutMs: 500 });
    expect(forks.outcome.status).toBe('timeout');
    expect(await groupGone(forks.pgid)).toBe(true);
    expect(processesMatching(/sleep 78\d\.25/)).toEqual([]);
  });
});
