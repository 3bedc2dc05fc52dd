import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMAS, createBox } from '../helpers/boxes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
});
afterAll(async () => t.stop());

/** Top-level keys whose value is null, `deleted` aside (CAM serves it as null or a time). */
const nullKeys = (doc: Record<string, unknown>): string[] =>
  Object.entries(doc)
    .filter(([k, v]) => v === null && k !== 'deleted')
    .map(([k]) => k);

describe('optional fields without a value', () => {
  it('are left out of boxes, instances, providers and workspaces', async () => {
    const box = await createBox(t, { name: 'No Icon', requirements: ['linux'] });
    expect(box).not.toHaveProperty('icon');
    expect(nullKeys(box)).toEqual([]);
    const policies = (await t.call('GET', '/services/workspaces/admin/boxes')).body;
    for (const doc of policies) expect(nullKeys(doc), doc.name).toEqual([]);

    const cleared = await t.call('PUT', box.uri, { body: { ...box, icon: 'images/x.png' } });
    expect(cleared.body.icon).toBe('images/x.png');
    const again = await t.call('PUT', box.uri, { body: { ...cleared.body, icon: null, description: null } });
    expect(again.status).toBe(200);
    expect(again.body).not.toHaveProperty('icon');
    expect(again.body).not.toHaveProperty('description');

    const dry = await t.call('POST', '/services/instances/dryrun', {
      body: { schema: `${SCHEMAS}deploy-instance-request`, name: 'plain', box: { id: box.id } },
    });
    expect(dry.status).toBe(200);
    expect(dry.body).not.toHaveProperty('icon');
    expect(nullKeys(dry.body)).toEqual([]);
    expect(nullKeys(dry.body.policy_box)).toEqual([]);

    const provider = await t.call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}test/provider`, type: 'Test Provider', name: 'bare' },
    });
    expect(provider.status).toBe(202);
    expect(nullKeys(provider.body)).toEqual([]);
    for (const doc of (await t.call('GET', '/services/providers')).body) expect(nullKeys(doc), doc.name).toEqual([]);

    await addUser(t, 'carol');
    const team = await t.call('POST', '/services/workspaces', {
      body: { schema: `${SCHEMAS}workspaces/team`, name: 'Team Null' },
    });
    expect(team.status).toBe(200);
    for (const doc of (await t.call('GET', '/services/workspaces')).body) expect(nullKeys(doc), doc.id).toEqual([]);
    const carol = await t.call('GET', '/services/workspaces/carol');
    expect(nullKeys(carol.body)).toEqual([]);
  });
});
