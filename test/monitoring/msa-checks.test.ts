import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { seedInstance } from '../cli/helpers.js';
import { createCheck, postResult } from './helpers.js';
import { upsertMachine } from '../../src/server/workflows/store/machines.js';

let t: TestServer;
let bob: string;

beforeAll(async () => {
  t = await startTestServer();
  bob = await addUser(t, 'bob');
});
afterAll(async () => t.stop());

describe('MSA checks repository', () => {
  it('is in the OpenAPI document with the rest of the MSA API', async () => {
    const paths = Object.keys((await t.call('GET', '/services/openapi.json')).body.paths);
    for (const p of [
      '/services/msa/checks',
      '/services/msa/checks/{check}',
      '/services/msa/results',
      '/services/msa/metrics',
      '/services/msa/alerts',
      '/services/msa/alerts/{alert}/ack',
    ]) {
      expect(paths).toContain(p);
    }
  });

  it('creates, versions, lists and deletes check definitions', async () => {
    const check = await createCheck(t, {
      name: 'disk-root',
      builtin: { type: 'disk', params: { mount: '/' } },
      thresholds: { warning: 80, critical: 90 },
    });
    expect(check).toMatchObject({
      name: 'disk-root',
      owner: 'admin',
      version: 1,
      uri: `/services/msa/checks/${check.id}`,
    });

    const dup = await t.call('POST', '/services/msa/checks', {
      body: { name: 'disk-root', command: 'true', interval: 5 },
    });
    expect(dup.status).toBe(409);

    const put = await t.call('PUT', `/services/msa/checks/${check.id}`, {
      body: {
        name: 'disk-root',
        builtin: { type: 'disk', params: { mount: '/' } },
        interval: 30,
        thresholds: { warning: 70, critical: 90 },
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: 2, interval: 30, created: check.created });

    const versions = (await t.call('GET', `/services/msa/checks/${check.id}/versions`)).body;
    expect(versions.map((v: any) => [v.version, v.thresholds.warning])).toEqual([
      [2, 70],
      [1, 80],
    ]);
    // By name too.
    expect((await t.call('GET', '/services/msa/checks/disk-root')).body.version).toBe(2);
    expect((await t.call('GET', '/services/msa/checks')).body.map((c: any) => c.name)).toContain('disk-root');

    expect((await t.call('DELETE', `/services/msa/checks/${check.id}`)).status).toBe(204);
    expect((await t.call('GET', `/services/msa/checks/${check.id}`)).status).toBe(404);
  });

  it('refuses definitions with neither or both of command and builtin; drops unknown fields (cam-api §2.4)', async () => {
    const neither = await t.call('POST', '/services/msa/checks', { body: { name: 'x', interval: 10 } });
    expect(neither.status).toBe(400);
    expect(neither.body.message).toMatch(/exactly one of command and builtin/);
    const both = await t.call('POST', '/services/msa/checks', {
      body: { name: 'x', interval: 10, command: 'true', builtin: { type: 'cpu' } },
    });
    expect(both.status).toBe(400);
    const badBuiltin = await t.call('POST', '/services/msa/checks', {
      body: { name: 'x', interval: 10, builtin: { type: 'gpu' } },
    });
    expect(badBuiltin.status).toBe(400);
    expect((await t.call('GET', '/services/msa/checks/x')).status).toBe(404);
    const unknown = await t.call('POST', '/services/msa/checks', {
      body: { name: 'x', interval: 10, command: 'true', bogus: 1 },
    });
    expect(unknown.status).toBe(201);
    expect(unknown.body).not.toHaveProperty('bogus');
  });

  it('accepts results only for instances a check targets (tags, box)', async () => {
    const web = await seedInstance(t, { tags: ['web', 'prod'] });
    const db = await seedInstance(t, { tags: ['db'] });
    await createCheck(t, { name: 'web-only', command: 'true', target: { tags: ['web'] } });
    await postResult(t, web.id, 'web-only', 0, 'OK');
    const refused = await t.call('POST', '/services/msa/results', {
      body: { instance: db.id, check: 'web-only', status: 0, output: 'OK' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/not assigned to instance/);

    await createCheck(t, { name: 'other-box', command: 'true', target: { box: 'no-such-box' } });
    const byBox = await t.call('POST', '/services/msa/results', {
      body: { instance: web.id, check: 'other-box', status: 0, output: 'OK' },
    });
    expect(byBox.status).toBe(400);

    const states = (await t.call('GET', `/services/msa/results?instance=${web.id}`)).body;
    expect(states).toEqual([
      expect.objectContaining({ check: 'web-only', status: 'ok', occurrences: 1, instance: web.id }),
    ]);
  });

  it('lists check states by check, then machine, however the store returns the rows', async () => {
    const inst = await seedInstance(t, { tags: ['multi'] });
    const providerId = (await t.call('GET', '/services/workspaces/admin/providers')).body[0].id;
    for (const name of ['multi-b', 'multi-a'])
      await upsertMachine(t.server.db, {
        name,
        instanceId: inst.id,
        workspace: 'admin',
        serviceId: 'eb-seed0',
        providerId,
        token: `token-${name}`,
        address: { public: '127.0.0.1', private: '127.0.0.1' },
      });
    await createCheck(t, { name: 'multi-z', command: 'true', target: { tags: ['multi'] } });
    await createCheck(t, { name: 'multi-y', command: 'true', target: { tags: ['multi'] } });
    // Written out of order, and the first rows updated again (on PostgreSQL an update moves a row).
    for (const [check, machine] of [
      ['multi-z', 'multi-b'],
      ['multi-z', 'multi-a'],
      ['multi-y', 'multi-b'],
      ['multi-y', 'multi-a'],
      ['multi-z', 'multi-b'],
      ['multi-y', 'multi-b'],
    ])
      await postResult(t, inst.id, check!, 0, 'OK', { machine });
    const states = (await t.call('GET', `/services/msa/results?instance=${inst.id}`)).body as any[];
    expect(states.map((s) => `${s.check} ${s.machine}`)).toEqual([
      'multi-y multi-a',
      'multi-y multi-b',
      'multi-z multi-a',
      'multi-z multi-b',
    ]);
  });

  it("keeps each workspace's checks, results and alerts to its members", async () => {
    const inst = await seedInstance(t);
    const check = await createCheck(t, { name: 'admin-private', command: 'false' });
    const { alert } = await postResult(t, inst.id, 'admin-private', 2, 'CRITICAL: down');

    expect((await t.call('GET', `/services/msa/checks/${check.id}`, { token: bob })).status).toBe(404);
    expect((await t.call('GET', '/services/msa/checks/admin-private', { token: bob })).status).toBe(404);
    expect((await t.call('GET', '/services/msa/checks', { token: bob })).body).toEqual([]);
    expect((await t.call('GET', '/services/msa/checks?workspace=admin', { token: bob })).status).toBe(403);
    expect(
      (
        await t.call('POST', '/services/msa/checks', {
          token: bob,
          body: { owner: 'admin', name: 'y', command: 'true', interval: 5 },
        })
      ).status,
    ).toBe(403);

    const post = await t.call('POST', '/services/msa/results', {
      token: bob,
      body: { instance: inst.id, check: check.id, status: 0, output: 'OK' },
    });
    expect(post.status).toBe(403);
    expect((await t.call('GET', `/services/msa/results?instance=${inst.id}`, { token: bob })).status).toBe(403);
    expect((await t.call('GET', `/services/msa/metrics?instance=${inst.id}`, { token: bob })).status).toBe(403);
    expect((await t.call('GET', '/services/msa/alerts', { token: bob })).body).toEqual([]);
    expect((await t.call('PUT', `/services/msa/alerts/${alert.id}/ack`, { token: bob })).status).toBe(404);
    expect(
      (await t.call('PUT', `/services/msa/alerts/${alert.id}/silence`, { token: bob, body: { duration: '1h' } }))
        .status,
    ).toBe(404);

    // Bob's own check, in his workspace, is his alone.
    const own = await createCheck(t, { name: 'admin-private', command: 'true' }, bob);
    expect(own.owner).toBe('bob');
    expect((await t.call('GET', '/services/msa/checks/admin-private', { token: bob })).body.id).toBe(own.id);
    expect((await t.call('GET', '/services/msa/checks/admin-private')).body.id).toBe(check.id);
  });
});
