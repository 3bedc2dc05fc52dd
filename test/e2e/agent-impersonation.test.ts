import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { dataFiles } from '../../src/shared/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createBox, deploy, eventsOf, fastTunables, killAgents, settled, workdir } from './helpers.js';

// quality.md A3: with machine B's token, messages about machine A's execution are refused and
// audited, and A's execution goes on untouched.

let t: TestServer;

beforeAll(async () => {
  fastTunables();
  t = await startTestServer();
});
afterAll(async () => {
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
});

const tokenOf = (machine: string) =>
  readFileSync(join(dataFiles(t.dataDir).machines, machine, 'agent-token'), 'utf8').trim();

/** Opens the agent endpoint as `token`, sends `frames`, resolves with the close code. */
function agentSocket(token: string, frames: string[]): Promise<number> {
  const ws = new WebSocket(`${t.url.replace('https:', 'wss:')}/services/agent`, {
    ca: t.server.ca,
    headers: { authorization: `Bearer ${token}` },
  });
  return new Promise((resolve) => {
    ws.on('error', () => undefined);
    ws.on('open', () => frames.forEach((f) => ws.send(f)));
    ws.on('close', (code) => resolve(code));
  });
}

const hello = (machine: string, pending: string[] = [], running: string[] = []) =>
  JSON.stringify({ type: 'hello', protocol: 1, machine, agentVersion: 'test', pending, running });

async function executionOf(instanceId: string): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const row = await t.server.db
      .selectFrom('executions')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('event', '=', 'install')
      .executeTakeFirst();
    if (row) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no install execution for ${instanceId}`);
}

describe('agent impersonation (A3)', () => {
  it("refuses and audits every message of machine B about machine A's execution", { timeout: 90_000 }, async () => {
    const quick = await createBox(t, { name: 'Quick', events: { install: '#!/bin/bash\necho quick\n' } });
    const holder = await createBox(t, {
      name: 'Holder',
      variables: [{ name: 'NOTE', type: 'Text', value: 'original' }],
      events: { install: '#!/bin/bash\nwhile [ ! -e release ]; do sleep 0.1; done\necho released\n' },
    });
    const b = await settled(t, (await deploy(t, quick.id, 'Machine B')).body.id);
    expect(b.state).toBe('done');
    const machineB = (await executionOf(b.id)).machine as string;

    const a = (await deploy(t, holder.id, 'Machine A')).body;
    const victim = await executionOf(a.id);
    const machineA = victim.machine as string;
    expect(machineA).not.toBe(machineB);
    expect(victim.status).toBeNull();

    const id = victim.id as string;
    const forged: Record<string, unknown>[] = [
      { type: 'rejected', executionId: id, reason: 'duplicate' },
      { type: 'rejected', executionId: id, reason: 'invalid', message: 'forged-invalid' },
      { type: 'rejected', executionId: id, reason: 'stopping' },
      { type: 'output', executionId: id, seq: 1, stream: 'stdout', line: 'forged-line' },
      { type: 'set_variable', executionId: id, seq: 2, name: 'NOTE', value: 'forged-value', scope: '' },
      { type: 'notify', executionId: id, seq: 3 },
      {
        type: 'result',
        executionId: id,
        status: 'failed',
        exitCode: 9,
        signal: null,
        truncated: false,
        startedAt: 0,
        finishedAt: 0,
        outputLines: 0,
        lastSeq: 0,
      },
    ];
    // B's own agent stays up: when it reconnects and replaces a forged session first (4001), the
    // forged frame was not handled and is sent again.
    const tokenB = tokenOf(machineB);
    const refused = async (frames: string[]) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const code = await agentSocket(tokenB, frames);
        if (code === 1008) return;
        expect(code).toBe(4001);
      }
      throw new Error('every forged session was replaced before it was handled');
    };
    for (const frame of forged) await refused([hello(machineB), JSON.stringify(frame)]);
    await refused([hello(machineB, [id])]);
    await refused([hello(machineB, [], [id])]);

    // The server closes first and then writes the audit: wait for the last refusal's event.
    let audit = await eventsOf(t, b.id, 'agent.refused');
    await expect
      .poll(async () => (audit = await eventsOf(t, b.id, 'agent.refused')).length, { timeout: 10_000 })
      .toBe(9);
    expect(audit.map((e) => e.data.message)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'records',
      'records',
      'records',
      'result',
      'hello',
      'hello',
    ]);
    for (const e of audit) expect(e.data).toMatchObject({ machine: machineB, executionId: id });
    expect(JSON.stringify(audit)).not.toMatch(/forged/);
    expect(await eventsOf(t, a.id, 'agent.refused')).toEqual([]);

    const after = await t.server.db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: null, exit_code: null, stored_seq: 0 });
    const records = await t.server.db
      .selectFrom('execution_records')
      .selectAll()
      .where('execution_id', '=', id)
      .execute();
    expect(records).toEqual([]);

    const work = workdir(t.dataDir, machineA, a.id);
    while (!existsSync(work)) await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(work, 'release'), '');
    const done = await settled(t, a.id, a.updated);
    expect(done.state).toBe('done');
    const final = await t.server.db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(final).toMatchObject({ status: 'success', exit_code: 0 });
    const doc = (await t.call('GET', `/services/instances/${a.id}`)).body;
    expect(JSON.stringify(doc.variables ?? [])).not.toContain('forged-value');
    const logs = (await t.call('GET', `/services/instances/${a.id}/machine_logs?machine_name=${machineA}`)).text;
    expect(logs).toContain('released');
    expect(logs).not.toContain('forged');
  });
});
