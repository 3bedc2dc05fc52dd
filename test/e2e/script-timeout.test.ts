import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACHINE_MARKER } from '../../src/server/providers/local.js';
import { commandLine, machineProcesses } from '../../src/server/providers/process-group.js';
import { dataFiles } from '../../src/shared/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, fastTunables, killAgents, settled, workdir } from './helpers.js';

let t: TestServer;
const previous = process.env.EBCLI_SCRIPT_TIMEOUT_SECONDS;

beforeAll(async () => {
  fastTunables();
  process.env.EBCLI_SCRIPT_TIMEOUT_SECONDS = '2';
  t = await startTestServer();
});
afterAll(async () => {
  if (previous === undefined) delete process.env.EBCLI_SCRIPT_TIMEOUT_SECONDS;
  else process.env.EBCLI_SCRIPT_TIMEOUT_SECONDS = previous;
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('script timeout set by the server', () => {
  it(
    'kills a script that runs too long and leaves the instance unavailable, saying it timed out',
    { timeout: 90_000 },
    async () => {
      const box = await createBox(t, {
        name: 'Slow',
        events: {
          install: '#!/bin/bash\necho install >> runs.log\n',
          configure:
            '#!/bin/bash\necho configure >> runs.log\nsleep 30.25 &\necho $! > sleep.pid\nwait\necho finished >> runs.log\n',
          start: '#!/bin/bash\necho start >> runs.log\n',
        },
      });
      const started = Date.now();
      const res = await deploy(t, box.id, 'Slow');
      const doc = await settled(t, res.body.id, res.body.updated, 20_000);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(doc).toMatchObject({ state: 'unavailable', operation: { event: 'deploy' } });

      const machine = `slow-${doc.service.id}-1`;
      const failure = `Failed executing configure:Slow in machine ${machine} (timed out after 2 s).`;
      const texts = await activityTexts(t, doc.id);
      expect(texts).toContain(failure);
      expect(texts.at(-1)).toBe(`Instance deployment failed. ${failure}`);
      const logs = (await t.call('GET', `/services/instances/${doc.id}/machine_logs?machine_name=${machine}`)).text;
      expect(logs).toContain(`configure-${doc.id} failed (timeout)`);

      // The whole process group went, not just the script's shell. The machine has a PID namespace
      // of its own: the pid the script wrote is not a host pid, so its sleep is found by command line.
      const dir = workdir(t.dataDir, machine, doc.id);
      expect(Number(readFileSync(join(dir, 'sleep.pid'), 'utf8'))).toBeGreaterThan(1);
      const root = join(dataFiles(t.dataDir).machines, machine);
      const sleeping = () =>
        machineProcesses(MACHINE_MARKER, root).filter((pid) => commandLine(pid)?.join(' ') === 'sleep 30.25');
      for (let i = 0; i < 40 && sleeping().length; i++) await sleep(50);
      expect(sleeping()).toEqual([]);
      expect(readFileSync(join(dir, 'runs.log'), 'utf8')).toBe('install\nconfigure\n');
    },
  );
});
