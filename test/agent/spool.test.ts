import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from '../../src/agent/spool.js';
import type { ResultMessage } from '../../src/shared/protocol.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const meta = (executionId: string) => ({ executionId, instanceId: 'i-abc123', operationId: 'op-1', startedAt: 1 });
const output = (id: string, line: string) => (seq: number) =>
  ({ type: 'output', executionId: id, seq, stream: 'stdout', line }) as const;
const result = (id: string, lastSeq: number, outputLines = lastSeq): ResultMessage => ({
  type: 'result',
  executionId: id,
  status: 'success',
  exitCode: 0,
  signal: null,
  truncated: false,
  startedAt: 1,
  finishedAt: 2,
  outputLines,
  lastSeq,
});

describe('Spool', () => {
  it('refuses to start an execution id twice, also after a restart and after result_ack', () => {
    const dir = tempDir();
    const spool = new Spool(dir);
    spool.begin(meta('a'));
    expect(() => spool.begin(meta('a'))).toThrow(/already started/);
    spool.finish('a', result('a', 0));
    spool.resultAck('a');
    expect(existsSync(join(dir, 'exec', 'a'))).toBe(false);
    spool.close();
    const reopened = new Spool(dir);
    expect(reopened.hasStarted('a')).toBe(true);
    expect(() => reopened.begin(meta('a'))).toThrow();
    reopened.close();
  });

  it('numbers records from 1 without gaps and keeps unacknowledged ones across a restart', () => {
    const dir = tempDir();
    const spool = new Spool(dir);
    spool.begin(meta('b'));
    for (const line of ['one', 'two', 'three']) spool.append('b', output('b', line));
    spool.append('b', (seq) => ({ type: 'notify', executionId: 'b', seq }));
    spool.ack('b', 2);
    expect(spool.get('b')!.records.map((r) => r.seq)).toEqual([3, 4]);
    spool.finish('b', result('b', 4, 3));
    spool.close();

    const reopened = new Spool(dir);
    const entry = reopened.get('b')!;
    expect(entry.records.map((r) => r.seq)).toEqual([1, 2, 3, 4]); // ack was in memory only: resend, server dedupes
    expect(entry.lastSeq).toBe(4);
    expect(entry.outputLines).toBe(3);
    expect(JSON.parse(entry.result!)).toMatchObject({ type: 'result', lastSeq: 4 });
    expect(reopened.pendingIds()).toEqual(['b']);
    expect(reopened.unfinished()).toEqual([]);
    reopened.close();
  });

  it('trims the records file once everything in it is acknowledged, never reusing a seq', () => {
    const dir = tempDir();
    const spool = new Spool(dir);
    spool.begin(meta('c'));
    const long = 'z'.repeat(1000);
    for (let i = 0; i < 100; i++) spool.append('c', output('c', long));
    spool.ack('c', 100);
    const file = join(dir, 'exec', 'c', 'records.jsonl');
    expect(statSync(file).size).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'exec', 'c', 'acked.json'), 'utf8'))).toEqual({
      acked: 100,
      lastSeq: 100,
      outputLines: 100,
    });
    spool.append('c', output('c', 'after trim'));
    spool.close();
    const reopened = new Spool(dir);
    const entry = reopened.get('c')!;
    expect(entry.records.map((r) => r.seq)).toEqual([101]);
    expect(entry.lastSeq).toBe(101);
    expect(entry.outputLines).toBe(101);
    expect(reopened.unfinished()).toEqual(['c']);
    reopened.close();
  });

  it('lets one agent at a time use a spool, and takes over a lock left by a dead agent', () => {
    const dir = tempDir();
    const spool = new Spool(dir);
    expect(() => new Spool(dir)).toThrow(/another agent/);
    spool.close();
    writeFileSync(join(dir, 'lock'), '999999999'); // no such process
    new Spool(dir).close();
  });

  it('ignores a record torn by a crash mid-write', () => {
    const dir = tempDir();
    const spool = new Spool(dir);
    spool.begin(meta('d'));
    spool.append('d', output('d', 'whole'));
    spool.close();
    appendFileSync(join(dir, 'exec', 'd', 'records.jsonl'), '{"type":"output","executionId":"d","se');
    const reopened = new Spool(dir);
    expect(reopened.get('d')!.records.map((r) => JSON.parse(r.text).line)).toEqual(['whole']);
    expect(reopened.get('d')!.lastSeq).toBe(1);
    reopened.close();
  });
});
