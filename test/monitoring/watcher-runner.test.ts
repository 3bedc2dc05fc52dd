import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/watcher/runner.js';
import { runBuiltin } from '../../src/watcher/builtins.js';
import { createServer } from 'node:http';

const dir = mkdtempSync(join(tmpdir(), 'ebcli-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running (a zombie waiting to be reaped counts as dead: it was killed). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('check runner', () => {
  it('follows the Nagios exit codes and keeps the output', async () => {
    for (const [code, status] of [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [42, 3],
    ]) {
      const r = await runCommand(`echo "line one | x=1"; echo two; exit ${code}`, 5000);
      expect(r.status).toBe(status);
      expect(r.output).toBe('line one | x=1\ntwo\n');
    }
  });

  it('kills the whole process group when the timeout passes', { timeout: 20_000 }, async () => {
    const pidFile = join(dir, 'child.pid');
    const r = await runCommand(`sleep 30 & echo $! > ${pidFile}; sleep 30`, 500);
    expect(r.status).toBe(2);
    expect(r.output).toMatch(/^CRITICAL: check timed out after 500 ms/);
    expect(existsSync(pidFile)).toBe(true);
    const background = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 100 && alive(background); i++) await new Promise((res) => setTimeout(res, 50));
    expect(alive(background)).toBe(false);
  });
});

describe('built-in checks', () => {
  const check = (
    type: string,
    params: Record<string, string | number> = {},
    thresholds?: { warning?: number; critical?: number },
  ) => ({
    id: type,
    name: type,
    version: 1,
    builtin: { type, params },
    interval: 10,
    timeout: 5,
    ...(thresholds ? { thresholds } : {}),
  });

  it('measures cpu, memory, disk and load with thresholds', async () => {
    const cpu = await runBuiltin(check('cpu', {}, { warning: 101 }));
    expect(cpu.status).toBe(0);
    expect(cpu.metrics[0]!.name).toBe('cpu.used');
    const mem = await runBuiltin(check('memory', {}, { critical: 0 }));
    expect(mem.status).toBe(2); // any use reaches a critical threshold of 0 %
    expect(mem.output).toMatch(/^MEMORY CRITICAL: [\d.]+% used$/);
    const disk = await runBuiltin(check('disk', { mount: '/' }, { warning: 0, critical: 101 }));
    expect(disk.status).toBe(1);
    expect(disk.metrics[0]!.name).toBe('disk./.used_percent');
    const load = await runBuiltin(check('load'));
    expect(load.metrics.map((m) => m.name)).toEqual(['load.1', 'load.5', 'load.15']);
  });

  it('finds a running process by name, and reports a missing one CRITICAL', async () => {
    const comm = readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim();
    expect((await runBuiltin(check('process', { name: comm }))).status).toBe(0);
    expect((await runBuiltin(check('process', { name: 'no-such-process-x' }))).status).toBe(2);
  });

  it('checks a TCP port and an HTTP status', async () => {
    const server = createServer((_req, res) => res.writeHead(204, { connection: 'close' }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      expect((await runBuiltin(check('tcp', { host: '127.0.0.1', port }))).status).toBe(0);
      expect((await runBuiltin(check('http', { url: `http://127.0.0.1:${port}/`, status: 204 }))).status).toBe(0);
      const wrong = await runBuiltin(check('http', { url: `http://127.0.0.1:${port}/`, status: 200 }));
      expect(wrong).toMatchObject({ status: 2, output: expect.stringMatching(/answered 204 \(expected 200\)/) });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    expect((await runBuiltin(check('tcp', { host: '127.0.0.1', port }))).status).toBe(2);
  });
});
