import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MACHINE_MARKER } from '../../src/server/providers/local.js';
import { killMarked } from '../../src/server/providers/process-group.js';
import { dataFiles } from '../../src/shared/paths.js';
import { agentOf, runsOf, until } from './agent-death-helpers.js';
import { activityTexts, createBox, deploy, eventsOf, fastTunables, killAgents, settled, type Api } from './helpers.js';
import { startChildServer, type ChildServer } from './remote-server.js';
import { processGroupOf } from '../../src/server/providers/process-group.js';

/** Agent deaths around a result in flight and across a server restart, on a server process of its own. */
const dirs: string[] = [];
const servers: ChildServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.kill('SIGTERM').catch(() => undefined);
  for (const d of dirs) {
    await killAgents(d);
    rmSync(d, { recursive: true, force: true });
  }
});

async function child(dataDir: string, env: Record<string, string>, port = 0): Promise<ChildServer> {
  fastTunables();
  const s = await startChildServer(dataDir, port, { ...process.env, ...env });
  servers.push(s);
  return s;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ebcli-agent-death-'));
  dirs.push(d);
  return d;
}

const finishes = async (t: Api, id: string) =>
  (await eventsOf(t, id, 'script.finish')).map((e) => [e.data.event, e.data.status]);

describe('agent deaths around results and server restarts', () => {
  it('agent killed after its script exited, before the result was acknowledged: the outbox settles it once and the operation goes on', async () => {
    // P = 2 s (lease 6 s); each result waits 1.5 s in the hub before it is stored and acknowledged.
    const dataDir = tempDir();
    const t = await child(dataDir, {
      EBCLI_PING_INTERVAL_MS: '2000',
      EBCLI_FAILPOINT: 'agent-result-received:delay:1500',
    });
    const events = Object.fromEntries(
      ['install', 'configure', 'start'].map((e) => [e, `#!/bin/bash\necho ${e} >> runs.log\n`]),
    );
    const box = await createBox(t, { name: 'Unacked', events });
    const res = await deploy(t, box.id, 'Unacked');
    const id = res.body.id;
    let machine = '';
    let spool = '';
    await until('install result spooled', async () => {
      machine = (await t.call('GET', `/services/instances/${id}/service`)).body.machines?.[0]?.name ?? '';
      spool = join(dataFiles(dataDir).machines, machine, 'spool', 'exec');
      return (
        Boolean(machine) &&
        existsSync(spool) &&
        readdirSync(spool).some((e) => existsSync(join(spool, e, 'result.json')))
      );
    });
    const agent = await agentOf(t, id);
    const killedAt = Date.now();
    // The agent's whole process group (in a sandbox, the group of the `unshare` that started it).
    process.kill(-(processGroupOf(agent.pid) ?? agent.pid), 'SIGKILL');

    const doc = await settled(t, id, undefined, 36_000);
    expect(Date.now() - killedAt).toBeLessThan(36_000);
    expect(doc.state).toBe('done');
    expect(runsOf(dataDir, machine, id)).toEqual(['install', 'configure', 'start']);
    expect(await finishes(t, id)).toEqual([
      ['install', 'success'],
      ['configure', 'success'],
      ['start', 'success'],
    ]);
    expect(await activityTexts(t, id)).toContain(`The agent of machine ${machine} was not running: restarted it.`);
    await until('spool drained', async () => readdirSync(spool).length === 0);
    expect((await agentOf(t, id)).pid).not.toBe(agent.pid);
  }, 90_000);

  it('machine and server killed mid-script: the next server restarts the agent and the operation ends once', async () => {
    const dataDir = tempDir();
    let t = await child(dataDir, {});
    const box = await createBox(t, {
      name: 'Outage',
      events: { install: '#!/bin/bash\necho install >> runs.log\nsleep 30\n' },
    });
    const id = (await deploy(t, box.id, 'Outage')).body.id;
    let machine = '';
    await until('install running', async () => {
      machine = (await t.call('GET', `/services/instances/${id}/service`)).body.machines?.[0]?.name ?? '';
      return Boolean(machine) && runsOf(dataDir, machine, id).includes('install');
    });
    const port = t.port;
    await t.kill('SIGKILL');
    await killMarked(MACHINE_MARKER, join(dataFiles(dataDir).machines, machine));
    // Down for longer than the execution lease (3 s): the lease runs from the next start, not from then.
    await new Promise((r) => setTimeout(r, 4000));
    t = await child(dataDir, {}, port);
    const restartedAt = Date.now(); // once the new server listens (its own start-up is not the bound)

    const doc = await settled(t, id, undefined, 33_000);
    expect(Date.now() - restartedAt).toBeLessThan(33_000);
    expect(doc.state).toBe('unavailable');
    const all = await finishes(t, id);
    expect(all).toHaveLength(1);
    expect(all[0]![0]).toBe('install');
    expect(['killed', 'agent-lost']).toContain(all[0]![1]);
    expect(await activityTexts(t, id)).toContain(`The agent of machine ${machine} was not running: restarted it.`);
    expect(runsOf(dataDir, machine, id)).toEqual(['install']);

    const before = doc.updated;
    expect((await t.call('DELETE', `/services/instances/${id}`)).status).toBe(202);
    expect(await settled(t, id, before, 33_000)).toMatchObject({
      state: 'done',
      operation: { event: 'terminate_service' },
    });
  }, 90_000);
});
