/**
 * A box declares the checks its instances need (`checks` in the box): the definitions are judged
 * when the box is written, and an instance deployed from the box has its machines' Watcher run
 * them; `ebcli instances show` gives each machine's check states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureBuilt, runCli, serverEnv, tempHome, type TempHome } from '../cli/helpers.js';
import { createBox, deploy, fastTunables, killAgents, settled } from '../e2e/helpers.js';
import { until } from './watcher-helpers.js';

let t: TestServer;
let home: TempHome;

beforeAll(async () => {
  ensureBuilt();
  fastTunables();
  t = await startTestServer();
  home = tempHome();
});
afterAll(async () => {
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
  home.cleanup();
});

const SCRIPT = 'http://elasticbox.net/schemas/boxes/script';

describe('checks a box declares', () => {
  it('are judged when the box is written, with errors that say what is wrong', async () => {
    const post = (name: string, extra: Record<string, unknown>) =>
      t.call('POST', '/services/boxes', { body: { schema: SCRIPT, name, ...extra } });
    const neither = await post('no-command', { checks: [{ name: 'up', interval: 10 }] });
    expect(neither.status).toBe(400);
    expect(neither.body.message).toBe('checks[0] must have exactly one of command and builtin (check up)');
    const twice = await post('twice', {
      checks: [
        { name: 'up', command: 'true', interval: 10 },
        { name: 'up', builtin: { type: 'cpu' }, interval: 10 },
      ],
    });
    expect(twice.status).toBe(400);
    expect(twice.body.message).toBe('checks: up is declared more than once');
    const badBuiltin = await post('bad-builtin', { checks: [{ name: 'gpu', builtin: { type: 'gpu' }, interval: 10 }] });
    expect(badBuiltin.status).toBe(400);
    expect(badBuiltin.body.message).toMatch(/checks\/0\/builtin\/type/);
    // A box's checks run where the box runs: a `target` is an unknown field there, dropped (cam-api §2.4).
    const targeted = await post('targeted', {
      checks: [{ name: 'up', command: 'true', interval: 10, target: { tags: ['x'] } }],
    });
    expect(targeted.status, targeted.text).toBe(200);
    expect(targeted.body.checks).toEqual([{ name: 'up', command: 'true', interval: 10 }]);
    const policy = await t.call('POST', '/services/boxes', {
      body: {
        schema: 'http://elasticbox.net/schemas/boxes/policy',
        name: 'policy-with-checks',
        checks: [{ name: 'up', command: 'true', interval: 10 }],
      },
    });
    expect(policy.status).toBe(400);
    expect(policy.body.message).toMatch(/A policy box has no checks/);
    // Nothing of the refused boxes was stored.
    const names = (await t.call('GET', '/services/boxes')).body.map((b: any) => b.name);
    for (const refused of ['no-command', 'twice', 'bad-builtin', 'policy-with-checks'])
      expect(names).not.toContain(refused);

    // A valid declaration is kept, and a PUT is judged the same way.
    const ok = await post('declares', { checks: [{ name: 'up', command: 'true', interval: 10 }] });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.checks).toEqual([{ name: 'up', command: 'true', interval: 10 }]);
    const put = await t.call('PUT', `/services/boxes/${ok.body.id}`, {
      body: { ...ok.body, checks: [{ name: 'up', command: 'true', builtin: { type: 'cpu' }, interval: 10 }] },
    });
    expect(put.status).toBe(400);
    expect(put.body.message).toBe('checks[0] must have exactly one of command and builtin (check up)');
  });

  it("run on the instance's machines; `instances show` gives their states", { timeout: 150_000 }, async () => {
    const box = await createBox(t, { name: 'WithChecks', events: { install: 'echo installed' } });
    const put = await t.call('PUT', `/services/boxes/${box.id}`, {
      body: {
        ...box,
        checks: [
          { name: 'box-says-ok', command: 'echo "OK: declared by the box | answer=42"', interval: 1 },
          { name: 'box-cpu', builtin: { type: 'cpu' }, interval: 1, thresholds: { warning: 101, critical: 102 } },
        ],
      },
    });
    expect(put.status, put.text).toBe(200);
    const res = await deploy(t, box.id, 'with-checks-1');
    expect(res.status, res.text).toBe(202);
    const doc = await settled(t, res.body.id, res.body.updated, 90_000);
    expect(doc.state).toBe('done');
    const machine = doc.service.machines[0].name;
    const states = await until(
      async () => {
        const all = (await t.call('GET', `/services/msa/results?instance=${doc.id}`)).body as any[];
        return all.length === 2 ? all : undefined;
      },
      90_000,
      "results of the box's checks",
    );
    expect(states).toEqual([
      expect.objectContaining({ check: 'box-cpu', status: 'ok', machine }),
      expect.objectContaining({
        check: 'box-says-ok',
        status: 'ok',
        machine,
        output: 'OK: declared by the box | answer=42\n',
      }),
    ]);
    // Not in the workspace's checks repository: the box owns them.
    expect((await t.call('GET', '/services/msa/checks')).body.map((c: any) => c.name)).not.toContain('box-says-ok');

    const env = { ...home.env, ...serverEnv(t) };
    const show = await runCli(['instances', 'show', doc.id], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`box-says-ok OK (${machine})`);
    expect(show.stdout).toContain(`box-cpu OK (${machine})`);

    const del = await t.call('DELETE', `/services/instances/${doc.id}?operation=terminate`);
    expect(del.status).toBeLessThan(300);
  });
});
