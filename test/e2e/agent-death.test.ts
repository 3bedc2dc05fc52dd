import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINE_MARKER } from '../../src/server/providers/local.js';
import { killMarked } from '../../src/server/providers/process-group.js';
import { dataFiles } from '../../src/shared/paths.js';
import type { TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, eventsOf, hostAgentPid, settled, useE2eServer, workdir } from './helpers.js';
import { agentOf, runsOf, until } from './agent-death-helpers.js';

/**
 * "An operation can always end" (issue 10): agents killed or frozen mid-operation. P = 1 s here
 * (fastTunables), so the execution lease is 3 s and every operation must end within 33 s.
 */
let t: TestServer;
useE2eServer((server) => (t = server));

const LEASE_MS = 3 * 1000;
const BOUND_MS = LEASE_MS + 30_000;

async function deployed(name: string, events: Record<string, string>) {
  const box = await createBox(t, { name, events });
  const res = await deploy(t, box.id, name);
  expect(res.status).toBe(202);
  return res.body.id as string;
}

/** Waits until the instance's scripts appended `line` to runs.log; returns the machine. */
async function runningScript(id: string, line: string) {
  let machine = '';
  await until(`${line} running`, async () => {
    const svc = (await t.call('GET', `/services/instances/${id}/service`)).body;
    machine = svc.machines?.[0]?.name ?? '';
    return Boolean(machine) && runsOf(t.dataDir, machine, id).includes(line);
  });
  return machine;
}

async function finishes(id: string, event: string): Promise<any[]> {
  return (await eventsOf(t, id, 'script.finish')).filter((e) => e.data.event === event);
}

async function terminates(id: string): Promise<void> {
  const before = (await t.call('GET', `/services/instances/${id}`)).body.updated;
  const del = await t.call('DELETE', `/services/instances/${id}`);
  expect(del.status).toBe(202);
  expect(await settled(t, id, before, BOUND_MS)).toMatchObject({
    state: 'done',
    operation: { event: 'terminate_service' },
  });
}

describe('an agent that dies mid-operation', () => {
  it('machine crash during install (agent and script killed): agent restarted, operation unavailable, nothing ran twice', async () => {
    const id = await deployed('CrashInstall', {
      install: '#!/bin/bash\necho install >> runs.log\nsleep 30\necho install-end >> runs.log\n',
      configure: '#!/bin/bash\necho configure >> runs.log\n',
    });
    const machine = await runningScript(id, 'install');
    const before = await agentOf(t, id);
    const killedAt = Date.now();
    await killMarked(MACHINE_MARKER, join(dataFiles(t.dataDir).machines, machine));

    const doc = await settled(t, id, undefined, BOUND_MS);
    expect(Date.now() - killedAt).toBeLessThan(BOUND_MS);
    expect(doc.state).toBe('unavailable');
    const [finish, ...more] = await finishes(id, 'install');
    expect(more).toEqual([]);
    expect(['killed', 'agent-lost']).toContain(finish.data.status);
    expect(
      (await activityTexts(t, id)).some((x) =>
        x.startsWith(`Failed executing install:CrashInstall in machine ${machine}`),
      ),
    ).toBe(true);
    await until(
      'agent restarted',
      async () => (await agentOf(t, id)).connected && (await agentOf(t, id)).pid !== before.pid,
    );
    // The host agent may report the crash (status killed) before supervision restarts the machine.
    expect(await activityTexts(t, id)).toContain(`The agent of machine ${machine} was not running: restarted it.`);
    expect(runsOf(t.dataDir, machine, id)).toEqual(['install']);

    await terminates(id);
    expect(existsSync(workdir(t.dataDir, machine, id))).toBe(false);
  }, 90_000);

  it('agent pid alone killed during a later event: the restarted agent ends the orphaned script once', async () => {
    const id = await deployed('CrashConfigure', {
      install: '#!/bin/bash\necho install >> runs.log\n',
      configure: '#!/bin/bash\necho configure >> runs.log\nsleep 30\necho configure-end >> runs.log\n',
      start: '#!/bin/bash\necho start >> runs.log\n',
    });
    const machine = await runningScript(id, 'configure');
    const before = await agentOf(t, id);
    const killedAt = Date.now();
    process.kill(before.pid, 'SIGKILL');

    const doc = await settled(t, id, undefined, BOUND_MS);
    expect(Date.now() - killedAt).toBeLessThan(BOUND_MS);
    expect(doc.state).toBe('unavailable');
    expect((await finishes(id, 'install')).map((e) => e.data.status)).toEqual(['success']);
    const configure = await finishes(id, 'configure');
    expect(configure).toHaveLength(1);
    expect(['killed', 'agent-lost']).toContain(configure[0].data.status);
    expect(await finishes(id, 'start')).toEqual([]);
    // The restarted agent kills the script its predecessor left running (it never sees it end).
    await until(
      'agent restarted',
      async () => (await agentOf(t, id)).connected && (await agentOf(t, id)).pid !== before.pid,
    );
    const spool = join(dataFiles(t.dataDir).machines, machine, 'spool', 'exec');
    await until('spool drained', async () => readdirSync(spool).length === 0);
    expect(runsOf(t.dataDir, machine, id)).toEqual(['install', 'configure']);

    await terminates(id);
  }, 90_000);

  it('frozen agent past the execution lease: agent-lost; its real result later is acknowledged and recorded, never a second result', async () => {
    const id = await deployed('Frozen', {
      install: '#!/bin/bash\necho install >> runs.log\nsleep 2\necho install-end >> runs.log\n',
    });
    const machine = await runningScript(id, 'install');
    const agent = await agentOf(t, id);
    // The process that speaks for the machine: the host agent serving every local machine.
    const speaker = hostAgentPid(t.dataDir)!;
    const stoppedAt = Date.now();
    process.kill(speaker, 'SIGSTOP');
    try {
      const doc = await settled(t, id, undefined, BOUND_MS);
      expect(Date.now() - stoppedAt).toBeLessThan(BOUND_MS);
      expect(doc.state).toBe('unavailable');
      const texts = await activityTexts(t, id);
      expect(texts).toContain(
        `Failed executing install:Frozen in machine ${machine} (agent-lost: the agent of machine ${machine} was silent for more than 3 s).`,
      );
      // Alive but silent: supervision leaves it alone.
      expect(texts.some((x) => x.includes('restarted it'))).toBe(false);
      const activity = (await t.call('GET', `/services/instances/${id}/activity`)).body;
      const coded = activity.filter((e: { code?: string }) => e.code === 'agent_unreachable');
      expect(coded.map((e: { text: string }) => e.text)).toEqual([
        expect.stringMatching(/^Failed executing install:Frozen .*agent-lost/),
        expect.stringMatching(/^Instance deployment failed\./),
      ]);
      await until('script ended', async () => runsOf(t.dataDir, machine, id).includes('install-end'));
    } finally {
      process.kill(speaker, 'SIGCONT');
    }
    const late = `Late result of install:Frozen in machine ${machine} (success, exit code 0) ignored: the execution had already ended agent-lost.`;
    await until('late result recorded', async () => (await activityTexts(t, id)).includes(late));
    const spool = join(dataFiles(t.dataDir).machines, machine, 'spool', 'exec');
    await until('spool drained', async () => readdirSync(spool).length === 0);
    const finish = await finishes(id, 'install');
    expect(finish.map((e) => e.data.status)).toEqual(['agent-lost']);
    expect((await activityTexts(t, id)).filter((x) => x === late)).toHaveLength(1);
    expect((await t.call('GET', `/services/instances/${id}`)).body.state).toBe('unavailable');
    expect(runsOf(t.dataDir, machine, id)).toEqual(['install', 'install-end']);
    expect((await agentOf(t, id)).pid).toBe(agent.pid);

    await terminates(id);
  }, 90_000);

  it('force_terminate cancels an operation stuck behind a dead agent and terminates the instance', async () => {
    const id = await deployed('ForceDead', {
      install: '#!/bin/bash\necho install >> runs.log\nsleep 30\n',
    });
    const machine = await runningScript(id, 'install');
    // A busy instance refuses a plain terminate. Checked before the kill: once the agent is dead,
    // its execution lease (3 s here) runs, and a slow moment of the machine must not let the
    // deploy end agent-lost before force_terminate is sent right after the kill.
    expect((await t.call('GET', `/services/instances/${id}`)).body.state).toBe('processing');
    expect((await t.call('DELETE', `/services/instances/${id}`)).status).toBe(409);
    const before = (await t.call('GET', `/services/instances/${id}`)).body.updated;
    // The agent dies: the host agent speaking for the machine (the machine ends with it). Killing
    // only the machine's processes would not do: the host agent reports such a crash at once.
    process.kill(hostAgentPid(t.dataDir)!, 'SIGKILL');
    const res = await t.call('DELETE', `/services/instances/${id}?operation=force_terminate`);
    expect(res.status).toBe(202);
    const doc = await settled(t, id, before, BOUND_MS);
    expect(doc).toMatchObject({ state: 'done', operation: { event: 'terminate_service' } });
    const texts = await activityTexts(t, id);
    expect(texts).toContain('Operation deploy cancelled by force terminate.');
    expect(texts.at(-1)).toBe('Instance successfully terminated.');
    const finish = await finishes(id, 'install');
    expect(finish).toHaveLength(1);
    expect(finish[0].data).toMatchObject({
      status: 'killed',
      message: 'the operation was cancelled by force terminate',
    });
    const ops = (await t.call('GET', `/services/instances/${id}/operations`)).body;
    expect(ops.map((o: any) => [o.operation, o.state])).toEqual([
      ['deploy', 'cancelled'],
      ['force_terminate', 'done'],
    ]);
    expect(existsSync(join(dataFiles(t.dataDir).machines, machine))).toBe(false);
  }, 90_000);
});
