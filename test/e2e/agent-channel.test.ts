import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { killMarked, killProcessGroup } from '../../src/server/providers/process-group.js';
import { MACHINE_MARKER } from '../../src/server/providers/local.js';
import { dataFiles } from '../../src/shared/paths.js';
import { processAlive } from '../../src/shared/process.js';
import { until } from '../helpers/standalone-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createBox, deploy, eventsOf, fastTunables, killAgents, settled, workdir } from './helpers.js';

let t: TestServer;
let box: any;

beforeAll(async () => {
  fastTunables();
  t = await startTestServer();
  box = await createBox(t, {
    name: 'Secretive',
    variables: [{ name: 'SECRET', type: 'Password', value: 'hunter2-very-secret' }],
    events: {
      install: '#!/bin/bash\necho "rendered {{ SECRET }}"\necho "from env $SECRET"\n',
      start: '#!/bin/bash\necho start >> runs.log\n',
    },
  });
});
afterAll(async () => {
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
});

const sandbox = (machine: string) => join(dataFiles(t.dataDir).machines, machine);
const tokenOf = (machine: string) => readFileSync(join(sandbox(machine), 'agent-token'), 'utf8').trim();

/** Opens the agent endpoint; resolves with the HTTP status of a refused upgrade or the close code. */
function agentSocket(token: string | undefined, frames: string[]): Promise<{ status?: number; close?: number }> {
  const url = `${t.url.replace('https:', 'wss:')}/services/agent`;
  const ws = new WebSocket(url, { ca: t.server.ca, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return new Promise((resolve) => {
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.on('open', () => frames.forEach((f) => ws.send(f)));
    ws.on('close', (code) => resolve({ close: code }));
  });
}

const hello = (machine: string) =>
  JSON.stringify({ type: 'hello', protocol: 1, machine, agentVersion: 'test', pending: [], running: [] });

describe('agent channel', { timeout: 60_000 }, () => {
  let first: any;
  let machine: string;

  it('masks Password values in stored output and events', async () => {
    const res = await deploy(t, box.id, 'Secret One');
    first = await settled(t, res.body.id, res.body.updated);
    expect(first.state).toBe('done');
    machine = `secret-one-${first.service.id}-1`;
    const logs = (await t.call('GET', `/services/instances/${first.id}/machine_logs?machine_name=${machine}`)).text;
    expect(logs).toContain('rendered ***');
    expect(logs).toContain('from env ***');
    expect(logs).not.toContain('hunter2');
    const output = await eventsOf(t, first.id, 'script.output');
    expect(output.length).toBeGreaterThan(0);
    expect(JSON.stringify(output)).not.toContain('hunter2');
  });

  it('refuses upgrades without a valid machine token (401 before any 101)', async () => {
    expect(await agentSocket(undefined, [])).toEqual({ status: 401 });
    expect(await agentSocket('eb_not-a-machine-token', [])).toEqual({ status: 401 });
    expect(await agentSocket(t.token, [])).toEqual({ status: 401 });
  });

  it('closes a socket whose hello names another machine, or that sends an invalid frame', async () => {
    const token = tokenOf(machine);
    expect(await agentSocket(token, [hello('some-other-machine')])).toEqual({ close: 1008 });
    expect(await agentSocket(token, ['{"type":"launch_missiles"}'])).toEqual({ close: 1008 });
    expect(await agentSocket(token, ['not json'])).toEqual({ close: 1007 });
  });

  it("refuses a result for another machine's execution and leaves it untouched", async () => {
    const other = await settled(t, (await deploy(t, box.id, 'Secret Two')).body.id);
    const db = t.server.db;
    const victim = await db
      .selectFrom('executions')
      .selectAll()
      .where('instance_id', '=', other.id)
      .executeTakeFirstOrThrow();
    const forged = JSON.stringify({
      type: 'result',
      executionId: victim.id,
      status: 'failed',
      exitCode: 9,
      signal: null,
      truncated: false,
      startedAt: 0,
      finishedAt: 0,
      outputLines: 0,
      lastSeq: 0,
    });
    expect(await agentSocket(tokenOf(machine), [hello(machine), forged])).toEqual({ close: 1008 });
    const after = await db.selectFrom('executions').selectAll().where('id', '=', victim.id).executeTakeFirstOrThrow();
    expect(after).toEqual(victim);
  });

  it('poweron restarts an agent whose process is gone (host rebooted)', async () => {
    const pid = Number(readFileSync(join(sandbox(machine), 'agent.pid'), 'utf8'));
    await killProcessGroup(pid, 500);
    await killMarked(MACHINE_MARKER, sandbox(machine));
    // Gone and reaped before the poweron looks: a machine whose keeper still runs is not restarted.
    // (killProcessGroup gives up after its grace and a second of SIGKILL; on a loaded machine the
    // host agent may not have reaped the keeper by then.)
    await until(() => !processAlive(pid) || undefined, `the machine's keeper ${pid} gone`, 10_000);
    const before = (await t.call('GET', `/services/instances/${first.id}`)).body.updated;
    expect((await t.call('PUT', `/services/instances/${first.id}/poweron`)).status).toBe(202);
    const doc = await settled(t, first.id, before);
    expect(doc).toMatchObject({ state: 'done', operation: { event: 'poweron' } });
    const service = (await t.call('GET', `/services/instances/${first.id}/service`)).body;
    expect(Number(service.machines[0].external_id)).not.toBe(pid);
    const runs = readFileSync(join(workdir(t.dataDir, machine, first.id), 'runs.log'), 'utf8');
    expect(runs).toBe('start\nstart\n');
  });
});
