import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, serverEnv, tempHome, type TempHome } from '../cli/helpers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createBox, deploy, fastTunables, hostAgentPid, killAgents, settled } from './helpers.js';
import { agentOf, until } from './agent-death-helpers.js';

/**
 * Exit 7 from a really unreachable agent: a deployed instance's agent (the host agent) is frozen (SIGSTOP), then
 * `instances reconfigure` waits for it to connect (10 s here) and fails. The CLI decides from the
 * failure entry's `code`, not from its wording.
 */
let t: TestServer;
let home: TempHome;
beforeAll(async () => {
  ensureBuilt();
  fastTunables();
  process.env.EBCLI_AGENT_CONNECT_TIMEOUT_MS = '10000';
  t = await startTestServer();
  home = tempHome();
});
afterAll(async () => {
  await t.server.close();
  await killAgents(t.dataDir);
  await t.stop().catch(() => undefined);
  home?.cleanup();
});

describe('an operation that needs a frozen agent', () => {
  it('exits 7 with code agent_unreachable, read from the failure entries’ code', async () => {
    const box = await createBox(t, {
      name: 'Unreachable',
      events: { configure: '#!/bin/bash\necho configure >> runs.log\n' },
    });
    const res = await deploy(t, box.id, 'unreachable');
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    expect(await settled(t, id, undefined, 60_000)).toMatchObject({ state: 'done' });
    // The process that speaks for the machine: the host agent serving every local machine.
    const agent = { pid: hostAgentPid(t.dataDir)! };
    expect(agent.pid).toBeGreaterThan(0);
    process.kill(agent.pid, 'SIGSTOP');
    try {
      await until('agent seen gone', async () => !(await agentOf(t, id)).connected, 30_000);
      const env = { ...home.env, ...serverEnv(t) };
      const r = await runCli(['instances', 'reconfigure', id, '--json'], { env, timeoutMs: 80_000 });
      expect(r.code, r.stderr).toBe(7);
      expect(r.json()).toMatchObject({ error: { code: 'agent_unreachable', exitCode: 7 } });
      const activity = (await t.call('GET', `/services/instances/${id}/activity?operation=reconfigure`)).body;
      const failure = activity.filter((a: { code?: string }) => a.code === 'agent_unreachable');
      expect(failure.map((a: { text: string }) => a.text)).toEqual([
        expect.stringMatching(/^Instance reconfiguration failed\. The agent of machine .* did not connect/),
      ]);
    } finally {
      process.kill(agent.pid, 'SIGCONT');
    }
  }, 120_000);
});
