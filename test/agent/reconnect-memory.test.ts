import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/main.js';
import { FakeControlPlane } from './control-plane.js';
import { removeTempDirs, tempDir } from './helpers.js';

// An agent whose control plane has gone away keeps reconnecting; its memory must stay flat
// (issue 10: RSS grew from ~80 MB to ~220 MB over 80 minutes, one TLS context per attempt).

const FIXTURE = fileURLToPath(new URL('./fixtures/reconnect-memory.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const WARMUP = 100;
const MB = 1024 * 1024;

let cp: FakeControlPlane;
let resetter: Server;

beforeAll(async () => {
  cp = await FakeControlPlane.start({ token: 'the-right-token', pingIntervalMs: 1000 });
  // Accepts TCP, then resets the connection before any TLS.
  resetter = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await cp.close();
  await new Promise((resolve) => resetter.close(resolve));
  removeTempDirs();
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

interface Sample {
  attempt: number;
  heapUsed: number;
  external: number;
  rss: number;
}

/** Runs the agent in its own process until `attempts` reconnects; returns its two memory samples. */
async function reconnecting(url: string, token: string, attempts: number): Promise<[Sample, Sample]> {
  const dir = tempDir();
  const opts = {
    url,
    token,
    caFile: cp.caFile,
    workdir: join(dir, 'work'),
    spoolDir: join(dir, 'spool'),
    machine: 'reconnecting-machine',
    reconnect: { baseMs: 1, capMs: 1 }, // every delay 0 ms: a reconnect per event-loop turn
    warmup: WARMUP,
    attempts,
  };
  const child = spawn(process.execPath, ['--expose-gc', '--import', TSX, FIXTURE, JSON.stringify(opts)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`agent process exited ${code}: ${err.slice(-2000)}`);
  const { samples } = JSON.parse(out) as { samples: Sample[] };
  expect(samples.map((s) => s.attempt)).toEqual([WARMUP, attempts]);
  return samples as [Sample, Sample];
}

function expectFlat([warm, end]: [Sample, Sample]): void {
  expect(end.heapUsed - warm.heapUsed).toBeLessThan(2 * MB);
  expect(end.external - warm.external).toBeLessThan(2 * MB);
  // RSS is noisier (allocator arenas), but one TLS context per attempt added ~1 MB each.
  expect(end.rss - warm.rss).toBeLessThan(40 * MB);
}

describe('agent reconnecting to a control plane that is gone', () => {
  it('keeps its memory flat against a closed port', { timeout: 120_000 }, async () => {
    expectFlat(await reconnecting(`https://127.0.0.1:${await closedPort()}`, 'the-right-token', 2500));
  });

  it('keeps its memory flat against a port that accepts and resets', { timeout: 120_000 }, async () => {
    const { port } = resetter.address() as AddressInfo;
    expectFlat(await reconnecting(`https://127.0.0.1:${port}`, 'the-right-token', 1500));
  });

  it('keeps its memory flat against a TLS server that refuses its token', { timeout: 120_000 }, async () => {
    expectFlat(await reconnecting(cp.url, 'a-revoked-token', 600));
    expect(cp.refusedUpgrades.length).toBeGreaterThanOrEqual(600);
  });

  it('still verifies the server with its one TLS context: without the CA it never connects', async () => {
    const dir = tempDir();
    const errors: string[] = [];
    let enough: () => void;
    const seen = new Promise<void>((resolve) => (enough = resolve));
    const handle = await runAgent({
      url: cp.url,
      token: 'the-right-token',
      workdir: join(dir, 'work'),
      spoolDir: join(dir, 'spool'),
      machine: 'untrusting-machine',
      reconnect: { baseMs: 1, capMs: 1 },
      onLog: (_level, message, fields) => {
        if (message === 'agent connection error') errors.push(String(fields?.error));
        if (errors.length === 3) enough();
      },
    });
    await seen;
    await handle.stop();
    expect(errors.slice(0, 3)).toEqual(Array(3).fill(expect.stringMatching(/certificate/i)));
    expect(cp.connections).toBe(0);
  });
});
