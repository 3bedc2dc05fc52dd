import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance, updateInstance } from '../../src/server/instances/store.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createBox } from '../e2e/helpers.js';
import { seedInstance } from '../cli/helpers.js';

// PUT /services/instances/{id}/pull on a real server. The instance is put straight into the store,
// running, and the pulls tested start no workflow, so no agent is involved.
describe('PUT /services/instances/{id}/pull', () => {
  let t: TestServer;
  let box: any;
  let other: any;
  let id: string;

  beforeAll(async () => {
    t = await startTestServer();
    box = await createBox(t, {
      name: 'Pull Box',
      events: { install: 'echo 1', start: 'echo s1' },
      variables: [{ name: 'X', type: 'Text', value: 'x' }],
    });
    other = await createBox(t, { name: 'Other Box', events: { install: 'echo 1' } });
    const doc = await seedInstance(t, {
      name: 'pull-1',
      box: box.id,
      boxes: [box],
      variables: [{ name: 'X', type: 'Text', value: 'mine' }],
    });
    id = doc.id;
  });
  afterAll(() => t.stop());

  const version = async (events: Record<string, unknown>) => {
    const draft = (await t.call('GET', `/services/boxes/${box.id}`)).body;
    const res = await t.call('PUT', `/services/boxes/${box.id}`, {
      body: {
        ...draft,
        events: { ...draft.events, ...events },
        version: { box: box.id, description: 'v', number: { major: 1, minor: 0, patch: Date.now() % 1000 } },
      },
    });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('moves to the latest version with no script when only a start script changed, keeping the overrides', async () => {
    const draft = (await t.call('GET', `/services/boxes/${box.id}`)).body;
    const v = await version({ start: { ...draft.events.install } });
    const res = await t.call('PUT', `/services/instances/${id}/pull`, { body: {} });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      id,
      method: 'pull',
      box: v.id,
      changes: [{ kind: 'script', name: 'Pull Box:start', change: 'changed', requires: 'none' }],
      scripts: [],
    });
    const doc = (await t.call('GET', `/services/instances/${id}`)).body;
    expect(doc).toMatchObject({ box: v.id, state: 'done', variables: [{ name: 'X', value: 'mine' }] });
    const again = await t.call('PUT', `/services/instances/${id}/pull`, { body: { box_id: v.id } });
    expect(again.body).toMatchObject({ method: 'pull', changes: [] });
  });

  it('refuses a box of another family (400) and a busy instance (409)', async () => {
    const wrong = await t.call('PUT', `/services/instances/${id}/pull`, { body: { box_id: other.id } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toContain('is not a version of');
    const doc = (await getInstance(t.server.db, id))!;
    await updateInstance(t.server.db, { ...doc, state: 'processing' });
    const busy = await t.call('PUT', `/services/instances/${id}/pull`, { body: {} });
    expect(busy.status).toBe(409);
    await updateInstance(t.server.db, { ...doc, state: 'done' });
  });

  it('refuses unknown variables and leaves the instance as it was', async () => {
    const bad = await t.call('PUT', `/services/instances/${id}/pull`, {
      body: { variables: [{ name: 'NOPE', value: '1' }] },
    });
    expect(bad.status).toBe(400);
    expect((await t.call('GET', `/services/instances/${id}`)).body.variables).toEqual([
      expect.objectContaining({ name: 'X', value: 'mine' }),
    ]);
  });
});
