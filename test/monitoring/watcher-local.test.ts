/**
 * The Watcher beside the ALM agent on a local machine: deploying an instance starts both; the
 * Watcher enrolls with its own credentials and runs the checks its instance's tags select.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createBox, deploy, fastTunables, killAgents, settled } from '../e2e/helpers.js';
import { createCheck } from './helpers.js';
import { until } from './watcher-helpers.js';

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

describe('Watcher on a local machine', () => {
  it('starts beside the agent, enrolls and reports its checks', { timeout: 120_000 }, async () => {
    await createCheck(t, {
      name: 'local-echo',
      command: 'echo "OK from $(hostname) | answer=42"',
      interval: 1,
      target: { tags: ['watched'] },
      output_metric_format: 'nagios_perfdata',
    });
    const box = await createBox(t, { name: 'Watched', events: { install: 'echo installed' } });
    const res = await deploy(t, box.id, 'watched-1', { instance_tags: ['watched'] });
    expect(res.status, res.text).toBe(202);
    const doc = await settled(t, res.body.id, res.body.updated, 90_000);
    expect(doc.state).toBe('done');
    const state = await until(
      async () =>
        (await t.call('GET', `/services/msa/results?instance=${doc.id}`)).body.find(
          (s: any) => s.check === 'local-echo',
        ),
      60_000,
      'a result from the local Watcher',
    );
    expect(state).toMatchObject({ status: 'ok', machine: doc.service.machines[0].name });
    const watchers = (await t.call('GET', `/services/msa/watchers?instance=${doc.id}`)).body;
    expect(watchers).toEqual([expect.objectContaining({ machine: doc.service.machines[0].name, revoked: false })]);
    expect(watchers[0].ledger.accepted).toBeGreaterThan(0);

    const del = await t.call('DELETE', `/services/instances/${doc.id}?operation=terminate`);
    expect(del.status).toBeLessThan(300);
  });
});
