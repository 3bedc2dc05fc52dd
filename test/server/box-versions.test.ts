import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBox, variable } from '../helpers/boxes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { insertInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import { timestamp } from '../../src/shared/time.js';

let t: TestServer;
let bob: string;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  bob = await addUser(t, 'bob');
});
afterAll(async () => t.stop());

const version = (box: string, major: number, minor = 0, patch = 0, description?: string) => ({
  version: { box, number: { major, minor, patch }, ...(description ? { description } : {}) },
});

describe('box versions', () => {
  it('creates versions from PUT with a version field and lists them newest first', async () => {
    const draft = await createBox(t, { name: 'Versioned', description: 'draft' });
    const v1 = await t.call('PUT', draft.uri, { body: { ...draft, ...version(draft.id, 1, 0, 0, 'first') } });
    expect(v1.status).toBe(200);
    expect(v1.body.id).not.toBe(draft.id);
    expect(v1.body).toMatchObject({
      uri: `/services/boxes/${v1.body.id}`,
      name: 'Versioned',
      owner: 'admin',
      version: { box: draft.id, description: 'first', number: { major: 1, minor: 0, patch: 0 }, workspace: 'admin' },
    });
    const v10 = await t.call('PUT', draft.uri, { body: { description: 'ten', ...version(draft.id, 1, 10, 0) } });
    expect(v10.body.description).toBe('ten');
    const v2 = await t.call('PUT', draft.uri, { body: version(draft.id, 1, 2, 0) });
    expect(v2.status).toBe(200);
    const list = await t.call('GET', `${draft.uri}/versions`);
    expect(list.status).toBe(200);
    expect(list.body.map((v: { id: string }) => v.id)).toEqual([v10.body.id, v2.body.id, v1.body.id]);
    // The draft itself is unchanged, and a version can be read like a draft.
    expect((await t.call('GET', draft.uri)).body.description).toBe('draft');
    expect((await t.call('GET', v1.body.uri)).body).toEqual(v1.body);
    expect((await t.call('GET', `${v1.body.uri}/versions`)).body).toHaveLength(3);
    expect((await t.call('GET', '/services/boxes')).body.some((b: { id: string }) => b.id === v1.body.id)).toBe(false);
    expect((await t.call('GET', `/services/boxes?ids=${v1.body.id}`)).body[0].id).toBe(v1.body.id);
  });

  it('updates a box PUT with its current version number: a new version only when the content changed', async () => {
    const draft = await createBox(t, { name: 'Current', description: 'one' });
    const v1 = await t.call('PUT', draft.uri, { body: { ...draft, ...version(draft.id, 1, 2, 3) } });
    expect(v1.status).toBe(200);
    // The same content with the same number answers the current version and creates nothing.
    const same = await t.call('PUT', draft.uri, { body: { ...draft, ...version(draft.id, 1, 2, 3, 'again') } });
    expect(same.status).toBe(200);
    expect(same.body.id).toBe(v1.body.id);
    expect((await t.call('GET', `${draft.uri}/versions`)).body).toHaveLength(1);
    // Changed content with the current number makes the next patch version.
    const changed = await t.call('PUT', draft.uri, {
      body: { ...draft, description: 'two', ...version(draft.id, 1, 2, 3) },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.id).not.toBe(v1.body.id);
    expect(changed.body.description).toBe('two');
    expect(changed.body.version.number).toEqual({ major: 1, minor: 2, patch: 4 });
    // A version read back and PUT to its own URL with its version field does the same.
    const readBack = (await t.call('GET', changed.body.uri)).body;
    const unchanged = await t.call('PUT', readBack.uri, { body: readBack });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.id).toBe(readBack.id);
    const edited = await t.call('PUT', readBack.uri, { body: { ...readBack, description: 'three' } });
    expect(edited.status).toBe(200);
    expect(edited.body.version).toMatchObject({ box: draft.id, number: { major: 1, minor: 2, patch: 5 } });
    const list = (await t.call('GET', `${draft.uri}/versions`)).body;
    expect(list.map((v: any) => v.description)).toEqual(['three', 'two', 'one']);
  });

  it('refuses an older taken number (409), a mismatched version.box (400) and changes to a version (400)', async () => {
    const draft = await createBox(t, { name: 'Once' });
    const v1 = await t.call('PUT', draft.uri, { body: version(draft.id, 1) });
    expect((await t.call('PUT', draft.uri, { body: version(draft.id, 2) })).status).toBe(200);
    const again = await t.call('PUT', draft.uri, { body: version(draft.id, 1) });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/1\.0\.0/);
    const other = await t.call('PUT', draft.uri, { body: version(v1.body.id, 2) });
    expect(other.status).toBe(400);
    expect(other.body.message).toMatch(/version\.box/);
    const immutable = await t.call('PUT', v1.body.uri, { body: { name: 'Changed' } });
    expect(immutable.status).toBe(400);
    expect(immutable.body.message).toMatch(/version/);
    const bad = await t.call('PUT', draft.uri, {
      body: { version: { box: draft.id, number: { major: -1, minor: 0, patch: 0 } } },
    });
    expect(bad.status).toBe(400);
    expect((await t.call('PUT', draft.uri, { token: bob, body: version(draft.id, 3) })).status).toBe(403);
  });
});

describe('box stacks and bindings', () => {
  it('returns the box first, then its nested boxes depth first (A → B → C)', async () => {
    const c = await createBox(t, { name: 'Stack C' });
    const b = await createBox(t, { name: 'Stack B', variables: [variable('c', 'Box', c.id)] });
    const d = await createBox(t, { name: 'Stack D' });
    const a = await createBox(t, {
      name: 'Stack A',
      variables: [variable('b', 'Box', b.id), variable('d', 'Box', d.id)],
    });
    const res = await t.call('GET', `${a.uri}/stack`);
    expect(res.status).toBe(200);
    expect(res.body.map((x: { name: string }) => x.name)).toEqual(['Stack A', 'Stack B', 'Stack C', 'Stack D']);
    expect((await t.call('GET', `${c.uri}/stack`)).body.map((x: { id: string }) => x.id)).toEqual([c.id]);
  });

  it('refuses a cycle and leaves the box as it was', async () => {
    const c = await createBox(t, { name: 'Cycle C' });
    const b = await createBox(t, { name: 'Cycle B', variables: [variable('c', 'Box', c.id)] });
    const a = await createBox(t, { name: 'Cycle A', variables: [variable('b', 'Box', b.id)] });
    const res = await t.call('PUT', c.uri, { body: { name: 'Cycle C2', variables: [variable('a', 'Box', a.id)] } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/contains itself/);
    expect((await t.call('GET', c.uri)).body).toEqual(c);
    const self = await t.call('PUT', a.uri, { body: { variables: [variable('me', 'Box', a.id)] } });
    expect(self.status).toBe(400);
  });

  it('lists the readable boxes named by Binding variables', async () => {
    const db = await createBox(t, { name: 'Database', icon: 'images/platform/mysql.png' });
    const hidden = await createBox(t, { name: 'Hidden Target' }, bob);
    const web = await createBox(t, {
      name: 'Web',
      variables: [
        variable('db', 'Binding', db.id),
        variable('db2', 'Binding', db.id, { scope: 'x' }),
        variable('any', 'Binding', 'AnyBox'),
        variable('none', 'Binding', ''),
        variable('secret', 'Binding', hidden.id),
        variable('gone', 'Binding', '00000000-0000-4000-8000-000000000000'),
      ],
    });
    const res = await t.call('GET', `${web.uri}/bindings`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ id: db.id, uri: db.uri, name: 'Database', icon: 'images/platform/mysql.png' }]);
  });

  it('answers 404 and 403 on the relation routes like on the box itself', async () => {
    const bobs = await createBox(t, { name: 'Bob Relations' }, bob);
    for (const rel of ['versions', 'stack', 'bindings']) {
      expect((await t.call('GET', `${bobs.uri}/${rel}`)).status, rel).toBe(403);
      expect((await t.call('GET', `/services/boxes/nope/${rel}`)).status, rel).toBe(404);
    }
  });
});

describe('delete refusals', () => {
  it('refuses to delete a box nested in another box, naming the user', async () => {
    const child = await createBox(t, { name: 'Nested Child' });
    const parent = await createBox(t, { name: 'Nesting Parent', variables: [variable('kid', 'Box', child.id)] });
    const res = await t.call('DELETE', child.uri);
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/Nesting Parent/);
    expect(res.body.message).toMatch(/kid/);
    expect((await t.call('DELETE', parent.uri)).status).toBe(204);
    expect((await t.call('DELETE', child.uri)).status).toBe(204);
  });

  it('refuses to delete a draft whose version is nested elsewhere', async () => {
    const child = await createBox(t, { name: 'Versioned Child' });
    const v1 = (await t.call('PUT', child.uri, { body: version(child.id, 1) })).body;
    await createBox(t, { name: 'Pins Version', variables: [variable('kid', 'Box', v1.id)] });
    const res = await t.call('DELETE', child.uri);
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/Pins Version/);
  });

  it('refuses to delete a box used by an application box', async () => {
    const svc = await createBox(t, { name: 'Service Box' });
    await createBox(t, {
      schema: 'http://elasticbox.net/schemas/boxes/application',
      name: 'Uses Service',
      services: [{ name: 'svc', box: { id: svc.id } }],
    });
    const res = await t.call('DELETE', svc.uri);
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/Uses Service/);
  });

  it('refuses to delete a box (or a draft whose version) an instance uses', async () => {
    const box = await createBox(t, { name: 'Deployed' });
    const v1 = (await t.call('PUT', box.uri, { body: version(box.id, 1) })).body;
    const now = timestamp();
    const instance: InstanceDoc = {
      id: 'i-abcdef',
      uri: '/services/instances/i-abcdef',
      schema: 'http://elasticbox.net/schemas/instance',
      name: 'deployed',
      owner: 'admin',
      box: v1.id,
      state: 'done',
      operation: { event: 'deploy', workspace: 'admin', created: now },
      created: now,
      updated: now,
    };
    await insertInstance(t.server.db, instance, null);
    for (const uri of [box.uri, v1.uri]) {
      const res = await t.call('DELETE', uri);
      expect(res.status, uri).toBe(409);
      expect(res.body.message).toMatch(/i-abcdef/);
    }
    expect((await t.call('GET', v1.uri)).status).toBe(200);
  });
});
