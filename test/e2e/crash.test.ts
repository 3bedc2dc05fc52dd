import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropTestDatabase, openServerStore } from '../helpers/store.js';
import { activityTexts, createBox, deploy, fastTunables, killAgents, settled, workdir, type Api } from './helpers.js';
import { startChildServer, type ChildServer } from './remote-server.js';

const EVENTS = ['pre_install', 'install', 'pre_configure', 'configure', 'pre_start', 'start'];
const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-crash-'));
let server: ChildServer | undefined;

afterAll(async () => {
  await server?.kill('SIGTERM');
  await killAgents(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  await dropTestDatabase(dataDir);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForActivity(t: Api, id: string, prefix: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await activityTexts(t, id)).some((x) => x.startsWith(prefix))) return;
    await sleep(50);
  }
  throw new Error(`no activity "${prefix}…" within ${timeoutMs} ms`);
}

describe('SIGKILL of the server mid-deploy', () => {
  it(
    'resumes every unfinished workflow after a restart and runs every script exactly once',
    { timeout: 90_000 },
    async () => {
      fastTunables();
      server = await startChildServer(dataDir);
      const port = server.port;
      const script = (event: string) => `#!/bin/bash\necho ${event} >> runs.log\necho "running ${event}"\nsleep 0.6\n`;
      const box = await createBox(server, {
        name: 'Crashy',
        events: Object.fromEntries(EVENTS.map((e) => [e, script(e)])),
      });
      const res = await deploy(server, box.id, 'Crashy');
      const id = res.body.id;

      // First kill while a script runs on the agent; second kill while the next ones are dispatched.
      await waitForActivity(server, id, 'Executing install:');
      const agentPid = (await server.call('GET', `/services/instances/${id}/service`)).body.machines[0].external_id;
      await server.kill('SIGKILL');
      server = await startChildServer(dataDir, port);
      await waitForActivity(server, id, 'Executing configure:');
      await server.kill('SIGKILL');
      server = await startChildServer(dataDir, port);

      const doc = await settled(server, id, res.body.updated, 60_000);
      expect(doc.state).toBe('done');
      const machine = `crashy-${doc.service.id}-1`;
      const runs = readFileSync(join(workdir(dataDir, machine, id), 'runs.log'), 'utf8')
        .trim()
        .split('\n');
      expect(runs).toEqual(EVENTS);
      const texts = await activityTexts(server, id);
      for (const e of EVENTS)
        expect(texts.filter((x) => x === `Executing ${e}:Crashy in machine ${machine}.`)).toHaveLength(1);
      expect(texts.filter((x) => x === 'Instance successfully deployed.')).toHaveLength(1);
      const service = (await server.call('GET', `/services/instances/${id}/service`)).body;
      expect(service.machines[0].external_id).toBe(agentPid);

      await server.kill('SIGTERM');
      server = undefined;
      const db = await openServerStore(dataDir);
      try {
        const wf = await db
          .selectFrom('workflows')
          .select(['id', 'plan', 'state', 'next_step'])
          .where('instance_id', '=', id)
          .executeTakeFirstOrThrow();
        const steps = JSON.parse(wf.plan).length;
        expect(wf).toMatchObject({ state: 'done', next_step: steps });
        const results = await db
          .selectFrom('step_results')
          .select('step')
          .where('workflow_id', '=', wf.id)
          .orderBy('step')
          .execute();
        expect(results.map((r) => r.step)).toEqual([...Array(steps).keys()]);
        const executions = await db
          .selectFrom('executions')
          .select(['event', 'status'])
          .where('workflow_id', '=', wf.id)
          .execute();
        expect(executions.map((e) => e.event).sort()).toEqual([...EVENTS].sort());
        expect(executions.every((e) => e.status === 'success')).toBe(true);
      } finally {
        await db.destroy();
      }
    },
  );
});
