/**
 * The host agent's control socket (src/agent/host-agent.ts): what the server may ask, checked
 * before anything runs. A real HostAgent on a real unix socket; no machine is started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostAgent } from '../../src/agent/host-agent.js';

let dir: string;
let host: HostAgent;

function ask(line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(dir, 'control.sock'));
    let buffer = '';
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes('\n')) {
        socket.end();
        resolve(JSON.parse(buffer.slice(0, buffer.indexOf('\n'))));
      }
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebcli-host-agent-'));
  host = new HostAgent({
    controlPath: join(dir, 'control.sock'),
    machinesDir: join(dir, 'machines'),
    agentDir: join(dir, 'agent'),
    node: process.execPath,
    log: () => undefined,
  });
  await host.listen();
});

afterAll(async () => {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the host agent control socket', () => {
  it('answers ping with the number of machines it serves', async () => {
    expect(await ask('{"op":"ping"}')).toEqual({ ok: true, machines: 0 });
  });

  it('refuses machine names that could leave the machines folder, and unknown requests', async () => {
    const start = {
      op: 'start',
      url: 'https://127.0.0.1:1',
      pingIntervalMs: 1000,
      reconnectBaseMs: 1000,
      reconnectCapMs: 2000,
    };
    for (const name of ['../admin', 'a/b', '..', '', '.hidden', 'x'.repeat(200)]) {
      expect(await ask(JSON.stringify({ ...start, name }))).toEqual({ ok: false, error: 'invalid machine name' });
    }
    expect(await ask(JSON.stringify({ ...start, name: 'm1', url: 'http://127.0.0.1:1' }))).toEqual({
      ok: false,
      error: 'invalid url',
    });
    expect(await ask(JSON.stringify({ ...start, name: 'm1', pingIntervalMs: -1 }))).toEqual({
      ok: false,
      error: 'invalid pingIntervalMs',
    });
    expect(await ask('{"op":"exec","name":"m1"}')).toEqual({ ok: false, error: 'unknown request' });
    expect((await ask('not json')).ok).toBe(false);
  });

  it('stops a machine it does not serve without error (terminate is idempotent)', async () => {
    expect(await ask('{"op":"stop","name":"m-unknown"}')).toEqual({ ok: true });
  });

  it('reports a machine that cannot start, and serves nothing afterwards', async () => {
    const reply = await ask(
      JSON.stringify({
        op: 'start',
        name: 'missing',
        url: 'https://127.0.0.1:1',
        pingIntervalMs: 1000,
        reconnectBaseMs: 1000,
        reconnectCapMs: 2000,
      }),
    );
    expect(reply.ok).toBe(false);
    expect(await ask('{"op":"ping"}')).toEqual({ ok: true, machines: 0 });
  });
});
