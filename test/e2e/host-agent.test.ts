/**
 * Issue 12: one host agent process serves every local machine of the host, each machine still in
 * its own sandbox (PID and mount namespace, working directory, process group). A real server, the
 * real host agent, real scripts.
 */
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/server/providers/process-group.js';
import { processAlive, procPids } from '../../src/shared/process.js';
import { dataFiles } from '../../src/shared/paths.js';
import type { TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, eventsOf, hostAgentPid, settled, useE2eServer, workdir } from './helpers.js';
import { agentOf, runsOf, until } from './agent-death-helpers.js';

let t: TestServer;
useE2eServer((server) => (t = server));

/** Node processes working for this data directory (the server runs inside the test process). */
function nodeProcessesOf(dataDir: string): number[] {
  return procPids().filter((pid) => {
    const argv = commandLine(pid);
    return pid !== process.pid && argv?.[0]?.endsWith('node') === true && argv.some((a) => a.includes(dataDir));
  });
}

async function deployed(name: string, events: Record<string, string>) {
  const box = await createBox(t, { name, events });
  const res = await deploy(t, box.id, name);
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  const doc = await settled(t, id, undefined, 60_000);
  expect(doc.state).toBe('done');
  return { id, machine: doc.service.machines[0].name as string };
}

const PROBE = `#!/bin/bash
echo "PID1 $(tr '\\0' ' ' < /proc/1/cmdline)"
echo "PIDS $(ls /proc | grep -c '^[0-9]')"
ls -A "\${ELASTICBOX_INSTANCE_PATH%/work}/.." | sed 's/^/SEES /'
echo probe >> runs.log
`;

describe('the host agent', () => {
  it('serves two machines from one Node process, each in a PID and mount namespace of its own', async () => {
    const a = await deployed('HostA', { install: PROBE });
    const b = await deployed('HostB', { install: PROBE });
    const host = hostAgentPid(t.dataDir)!;
    expect(processAlive(host)).toBe(true);
    expect(nodeProcessesOf(t.dataDir)).toEqual([host]);

    const keepers = [await agentOf(t, a.id), await agentOf(t, b.id)].map((m) => m.pid);
    expect(keepers[0]).not.toBe(keepers[1]);
    const ns = keepers.map((pid) => readlinkSync(`/proc/${pid}/ns/pid`));
    expect(ns[0]).not.toBe(ns[1]);
    expect(ns[0]).not.toBe(readlinkSync('/proc/self/ns/pid'));
    expect(readlinkSync(`/proc/${keepers[0]}/ns/mnt`)).not.toBe(readlinkSync(`/proc/${keepers[1]}/ns/mnt`));

    for (const m of [a, b]) {
      const logs = await t.call('GET', `/services/instances/${m.id}/machine_logs?machine_name=${m.machine}`);
      const out: string = logs.text;
      // PID 1 of the machine is its keeper; the host agent, the server and the other machine are not visible.
      expect(out).toMatch(/PID1 \/bin\/bash -c .* ebcli-machine /);
      const pids = Number(/PIDS (\d+)/.exec(out)?.[1]);
      expect(pids).toBeGreaterThan(0);
      expect(pids).toBeLessThan(10);
      const seen = out
        .split('\n')
        .filter((l) => l.includes('SEES '))
        .map((l) => l.slice(l.indexOf('SEES ') + 5).trim());
      expect(seen).toEqual([m.machine]);
      expect(runsOf(t.dataDir, m.machine, m.id)).toEqual(['probe']);
    }
  }, 120_000);

  it('killed mid-script: restarted, every machine back, the operation ends once and nothing ran twice', async () => {
    const idle = await deployed('HostIdle', { install: '#!/bin/bash\necho install >> runs.log\n' });
    const box = await createBox(t, {
      name: 'HostBusy',
      events: {
        install: '#!/bin/bash\necho install >> runs.log\nsleep 30\necho install-end >> runs.log\n',
      },
    });
    const res = await deploy(t, box.id, 'HostBusy');
    const id = res.body.id as string;
    let machine = '';
    await until('install running', async () => {
      machine = (await t.call('GET', `/services/instances/${id}/service`)).body.machines?.[0]?.name ?? '';
      return Boolean(machine) && runsOf(t.dataDir, machine, id).includes('install');
    });
    const host = hostAgentPid(t.dataDir)!;
    const idleBefore = await agentOf(t, idle.id);
    process.kill(host, 'SIGKILL');

    const doc = await settled(t, id, undefined, 40_000);
    expect(doc.state).toBe('unavailable');
    const finishes = (await eventsOf(t, id, 'script.finish')).filter((e) => e.data.event === 'install');
    expect(finishes).toHaveLength(1);
    expect(['killed', 'agent-lost']).toContain(finishes[0].data.status);
    await until('host agent restarted', async () => {
      const now = hostAgentPid(t.dataDir);
      return now !== undefined && now !== host && processAlive(now);
    });
    // Both machines come back (supervision restarts what the dead host agent served).
    await until('busy machine back', async () => (await agentOf(t, id)).connected);
    await until('idle machine back', async () => {
      const m = await agentOf(t, idle.id);
      return m.connected && m.pid !== idleBefore.pid;
    });
    expect(runsOf(t.dataDir, machine, id)).toEqual(['install']);
    expect(await activityTexts(t, idle.id)).toContain(
      `The agent of machine ${idle.machine} was not running: restarted it.`,
    );

    for (const i of [id, idle.id]) {
      const before = (await t.call('GET', `/services/instances/${i}`)).body.updated;
      expect((await t.call('DELETE', `/services/instances/${i}`)).status).toBe(202);
      expect(await settled(t, i, before, 40_000)).toMatchObject({ state: 'done' });
    }
    const sandbox = join(dataFiles(t.dataDir).machines, machine);
    expect(workdir(t.dataDir, machine, id).startsWith(sandbox)).toBe(true);
  }, 120_000);
});
