import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMAS, SCRIPT, createBox, uploadText, variable } from '../helpers/boxes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { newUuid } from '../../src/shared/ids.js';

let t: TestServer;
let bob: string;
let carol: string;
let team: string;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  bob = await addUser(t, 'bob');
  carol = await addUser(t, 'carol');
  const ws = await t.call('POST', '/services/workspaces', {
    body: {
      name: 'Ops Team',
      members: [
        { role: 'collaborator', workspace: 'bob' },
        { role: 'read', workspace: 'carol' },
      ],
    },
  });
  team = ws.body.id;
});
afterAll(async () => t.stop());

describe('POST /services/boxes', () => {
  it('creates a script box with CAM defaults in the personal workspace', async () => {
    const res = await t.call('POST', '/services/boxes', {
      body: { schema: SCRIPT, name: 'Wordpress Starter Box', description: 'demo', requirements: ['linux'] },
    });
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(doc).toMatchObject({
      uri: `/services/boxes/${doc.id}`,
      schema: SCRIPT,
      name: 'Wordpress Starter Box',
      description: 'demo',
      owner: 'admin',
      organization: 'public',
      members: [],
      visibility: 'workspace',
      automatic_updates: 'off',
      requirements: ['linux'],
      variables: [],
      events: {},
      deleted: null,
    });
    expect(doc.created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(doc.updated).toBe(doc.created);
    expect((await t.call('GET', doc.uri)).body).toEqual(doc);
  });

  it('defaults a missing schema to script and normalises dated schemas', async () => {
    expect((await createBox(t, { name: 'No Schema' })).schema).toBe(SCRIPT);
    const dated = await createBox(t, { name: 'Dated', schema: `${SCHEMAS}2014-10-09/boxes/docker` });
    expect(dated.schema).toBe(`${SCHEMAS}boxes/docker`);
  });

  it('ignores the server-owned id a box.yaml carries', async () => {
    const doc = await createBox(t, { name: 'From Yaml', id: '6f1c2a9e-4d3b-4c1e-9a57-0b8e2f1d7c44' });
    expect(doc.id).not.toBe('6f1c2a9e-4d3b-4c1e-9a57-0b8e2f1d7c44');
  });

  it('creates policy, docker, application and cloudformation boxes with their own fields', async () => {
    const dockerfile = await uploadText(t, 'Dockerfile', 'FROM alpine\n');
    const template = await uploadText(t, 'template.json', '{}');
    const policy = await createBox(t, {
      schema: `${SCHEMAS}boxes/policy`,
      name: 'Test Policy',
      claims: ['linux', 'test'],
      profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 2, image: 'test' },
    });
    expect(policy).toMatchObject({ claims: ['linux', 'test'] });
    for (const key of ['provider_id', 'lifespan', 'icon']) expect(policy).not.toHaveProperty(key);
    expect(policy.profile.instances).toBe(2);
    expect(policy.events).toBeUndefined();
    const docker = await createBox(t, {
      schema: `${SCHEMAS}boxes/docker`,
      name: 'Container',
      dockerfile: { url: dockerfile.url },
    });
    expect(docker.dockerfile.url).toBe(dockerfile.url);
    const app = await createBox(t, {
      schema: `${SCHEMAS}boxes/application`,
      name: 'App',
      services: [{ name: 'web', box: { id: docker.id, latest: true } }],
    });
    expect(app.services[0].box.id).toBe(docker.id);
    const cf = await createBox(t, {
      schema: `${SCHEMAS}boxes/cloudformation`,
      name: 'CF',
      template: { url: template.url },
    });
    expect(cf).toMatchObject({ type: 'CloudFormation Service', template: { url: template.url } });
  });

  it('refuses fields of another box type, events on a policy and unreadable service boxes', async () => {
    const wrong = await t.call('POST', '/services/boxes', { body: { name: 'W', dockerfile: { url: '/x' } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toMatch(/dockerfile/);
    const events = await t.call('POST', '/services/boxes', {
      body: { name: 'P', schema: `${SCHEMAS}boxes/policy`, events: { install: { url: '/x' } } },
    });
    expect(events.status).toBe(400);
    expect(events.body.message).toMatch(/no events/);
    const bobBox = await createBox(t, { name: 'Bob Private' }, bob);
    const app = await t.call('POST', '/services/boxes', {
      token: carol,
      body: { name: 'A', schema: `${SCHEMAS}boxes/application`, services: [{ name: 's', box: { id: bobBox.id } }] },
    });
    expect(app.status).toBe(400);
    expect(app.body.message).toMatch(/services\.s/);
  });

  it('ignores unknown fields, in variables and file references too', async () => {
    const ref = await uploadText(t, 'x.sh', 'x');
    const res = await t.call('POST', '/services/boxes', {
      body: {
        name: `Lenient ${newUuid().slice(0, 6)}`,
        bogus: 1,
        variables: [{ name: 'A', type: 'Text', value: 'a', color: 'red' }],
        events: { install: { url: ref.url, checksum: 'abc' } },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.bogus).toBeUndefined();
    expect(res.body.variables).toEqual([{ name: 'A', type: 'Text', value: 'a' }]);
    expect(res.body.events.install).toEqual({ url: ref.url });
  });

  it('answers 400 for unknown schemas, bad names and broken JSON', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'X', schema: `${SCHEMAS}box` }, /Unknown box schema/],
      [{ name: '' }, /name/],
      [{ name: 'x'.repeat(101) }, /name/],
      [{ description: 'no name' }, /name/],
      [{ name: 'X', automatic_updates: 'sometimes' }, /automatic_updates/],
      [{ name: 'X', requirements: 'linux' }, /requirements/],
      [[], /body/],
    ];
    for (const [body, message] of cases) {
      const res = await t.call('POST', '/services/boxes', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
    const broken = await t.call('POST', '/services/boxes', {
      raw: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toBeTruthy();
  });

  it('answers 413 for a JSON body over 1 MiB', async () => {
    const res = await t.call('POST', '/services/boxes', {
      body: { name: 'Big', description: 'x'.repeat(1024 * 1024) },
    });
    expect(res.status).toBe(413);
  });

  it('answers 409 for a draft name already used in the workspace, and allows it elsewhere', async () => {
    await createBox(t, { name: 'Twin' });
    const clash = await t.call('POST', '/services/boxes', { body: { name: 'Twin' } });
    expect(clash.status).toBe(409);
    expect(clash.body.message).toMatch(/Twin/);
    expect((await createBox(t, { name: 'Twin', owner: team })).owner).toBe(team);
  });

  it('requires write access to the owner workspace', async () => {
    const other = await t.call('POST', '/services/boxes', { token: bob, body: { name: 'Sneaky', owner: 'admin' } });
    expect(other.status).toBe(403);
    const reader = await t.call('POST', '/services/boxes', { token: carol, body: { name: 'Read Only', owner: team } });
    expect(reader.status).toBe(403);
    const collaborator = await t.call('POST', '/services/boxes', {
      token: bob,
      body: { name: 'Team Box', owner: team },
    });
    expect(collaborator.status).toBe(200);
    const none = await t.call('POST', '/services/boxes', { body: { name: 'Nowhere', owner: 'nosuchworkspace' } });
    expect(none.status).toBe(403);
    expect((await t.call('POST', '/services/boxes', { body: { name: 'Anon' }, token: null })).status).toBe(401);
  });
});

describe('events', () => {
  it('stores canonical names and aliases, and maps terminate names to dispose', async () => {
    const s = await uploadText(t, 'script.sh', '#!/bin/bash\n');
    const ref = {
      url: s.url,
      upload_date: s.upload_date,
      length: s.length,
      destination_path: 'scripts',
      content_type: 'text/x-shellscript',
    };
    const doc = await createBox(t, {
      name: 'Eventful',
      events: { install: ref, pre_stop: ref, post_start: ref, terminate: ref, post_terminate: ref },
    });
    expect(Object.keys(doc.events).sort()).toEqual(['dispose', 'install', 'post_dispose', 'post_start', 'pre_stop']);
    expect(doc.events.install).toEqual(ref);
  });

  it('refuses unknown names, non-blob URLs, missing or unreadable blobs and duplicate aliases', async () => {
    const mine = await uploadText(t, 'a.sh', 'a');
    const bobs = await uploadText(t, 'b.sh', 'b', bob);
    const cases: [unknown, RegExp][] = [
      [{ reboot: { url: mine.url } }, /unknown event 'reboot'/],
      [{ install: { url: 'http://example.com/install.sh' } }, /not a blob URL/],
      [{ install: { url: `/services/blobs/download/${'a'.repeat(24)}/x.sh` } }, /does not exist/],
      [{ install: { url: mine.url.replace('a.sh', 'other.sh') } }, /does not exist/],
      [{ install: { url: bobs.url } }, /events\.install.*cannot read/],
      [{ install: {} }, /url/],
      [{ terminate: { url: mine.url }, dispose: { url: mine.url } }, /same event/],
    ];
    for (const [events, message] of cases) {
      const res = await t.call('POST', '/services/boxes', { body: { name: 'Bad Events', events } });
      expect(res.status, JSON.stringify(events)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
  });
});

describe('GET /services/boxes', () => {
  it('lists the drafts of every workspace the user belongs to, and only those', async () => {
    const mine = await createBox(t, { name: 'Listed' });
    const bobs = await createBox(t, { name: 'Bob Listed' }, bob);
    const all = (await t.call('GET', '/services/boxes')).body as { id: string; owner: string }[];
    expect(all.some((b) => b.id === mine.id)).toBe(true);
    expect(all.some((b) => b.id === bobs.id)).toBe(false);
    expect(all.every((b) => b.owner === 'admin' || b.owner === team)).toBe(true);
    const carols = (await t.call('GET', '/services/boxes', { token: carol })).body as { owner: string }[];
    expect(carols.length).toBeGreaterThan(0);
    expect(carols.every((b) => b.owner === team)).toBe(true);
  });

  it('filters by ids, ignoring empty items and boxes the user cannot access', async () => {
    const a = await createBox(t, { name: 'Ids A' });
    const b = await createBox(t, { name: 'Ids B' });
    const hidden = await createBox(t, { name: 'Ids Hidden' }, bob);
    const res = await t.call('GET', `/services/boxes?ids=${a.id},,${b.id},${hidden.id},`);
    expect(res.status).toBe(200);
    expect(res.body.map((x: { id: string }) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect((await t.call('GET', '/services/boxes?ids=')).body).toEqual([]);
  });
});

describe('GET /services/boxes/:id', () => {
  it('answers 404 for an unknown box and 403 for a box in another workspace', async () => {
    expect((await t.call('GET', '/services/boxes/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const bobs = await createBox(t, { name: 'Bob Only' }, bob);
    const res = await t.call('GET', bobs.uri);
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/bob/);
  });
});

describe('PUT /services/boxes/:id', () => {
  it('applies the editable fields, ignores the rest and moves updated', async () => {
    const doc = await createBox(t, { name: 'Editable', requirements: ['linux'] });
    const res = await t.call('PUT', doc.uri, {
      body: {
        ...doc,
        name: 'Edited',
        description: 'changed',
        requirements: ['linux', 'ubuntu'],
        variables: [variable('PORT', 'Port', '8080')],
        owner: 'bob',
        schema: `${SCHEMAS}boxes/policy`,
        automatic_updates: 'major',
        visibility: 'public',
        created: '2000-01-01 00:00:00.000000',
        whatever: { nested: true },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: doc.id,
      name: 'Edited',
      description: 'changed',
      requirements: ['linux', 'ubuntu'],
      variables: [{ name: 'PORT', type: 'Port', value: '8080' }],
      owner: 'admin',
      schema: SCRIPT,
      automatic_updates: 'off',
      visibility: 'workspace',
      created: doc.created,
    });
    expect(res.body.whatever).toBeUndefined();
    expect(res.body.updated > doc.updated).toBe(true);
    expect((await t.call('GET', doc.uri)).body).toEqual(res.body);
  });

  it('accepts documents from GET put back unchanged (the bootstrap policy and a full script box)', async () => {
    const boxes = (await t.call('GET', '/services/boxes')).body as { schema: string; uri: string }[];
    const policy = boxes.find((b) => b.schema === `${SCHEMAS}boxes/policy`);
    expect(policy).toBeDefined();
    const back = await t.call('PUT', policy!.uri, { body: policy });
    expect(back.status).toBe(200);
    expect({ ...back.body, updated: undefined }).toEqual({ ...policy, updated: undefined });
    const s = await uploadText(t, 'start.sh', 'start');
    const full = await createBox(t, {
      name: 'Full Script',
      icon: s.url,
      events: { start: { url: s.url, length: s.length, destination_path: 'scripts' } },
      variables: [variable('PORT', 'Port', '80', { required: true, visibility: 'public' })],
      members: [{ role: 'read', workspace: 'carol' }],
    });
    const again = await t.call('PUT', full.uri, { body: full });
    expect(again.status).toBe(200);
    expect({ ...again.body, updated: undefined }).toEqual({ ...full, updated: undefined });
  });

  it('validates what it applies exactly as create does', async () => {
    const doc = await createBox(t, { name: 'Strict' });
    const bad = [
      { variables: [variable('1bad', 'Text', '')] },
      { events: { nope: { url: '/x' } } },
      { name: '' },
      { members: [{ role: 'owner', workspace: 'bob' }] },
      { members: [{ role: 'read', workspace: 'ghost' }] },
    ];
    for (const body of bad) {
      const res = await t.call('PUT', doc.uri, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.call('GET', doc.uri)).body).toEqual(doc);
  });

  it('answers 409 when renaming onto another draft, 404 for unknown boxes, 403 without write access', async () => {
    await createBox(t, { name: 'Taken Name' });
    const doc = await createBox(t, { name: 'Renamed Later' });
    const clash = await t.call('PUT', doc.uri, { body: { name: 'Taken Name' } });
    expect(clash.status).toBe(409);
    expect((await t.call('PUT', doc.uri, { body: { name: 'Renamed Later' } })).status).toBe(200);
    expect((await t.call('PUT', '/services/boxes/00000000-0000-4000-8000-000000000000', { body: {} })).status).toBe(
      404,
    );
    expect((await t.call('PUT', doc.uri, { token: bob, body: { name: 'Mine Now' } })).status).toBe(403);
    const teamBox = await createBox(t, { name: 'Team Editable', owner: team });
    expect((await t.call('PUT', teamBox.uri, { token: carol, body: { name: 'Carol' } })).status).toBe(403);
    expect((await t.call('PUT', teamBox.uri, { token: bob, body: { name: 'Bob Edit' } })).status).toBe(200);
    const broken = await t.call('PUT', doc.uri, { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
  });
});

describe('DELETE /services/boxes/:id', () => {
  it('deletes a draft with its versions', async () => {
    const doc = await createBox(t, { name: 'Doomed' });
    const v = await t.call('PUT', doc.uri, {
      body: { version: { box: doc.id, number: { major: 1, minor: 0, patch: 0 } } },
    });
    expect(v.status).toBe(200);
    const res = await t.call('DELETE', doc.uri);
    expect(res.status).toBe(204);
    expect((await t.call('GET', doc.uri)).status).toBe(404);
    expect((await t.call('GET', v.body.uri)).status).toBe(404);
    expect((await t.call('DELETE', doc.uri)).status).toBe(404);
  });

  it('requires write access', async () => {
    const teamBox = await createBox(t, { name: 'Team Keep', owner: team });
    expect((await t.call('DELETE', teamBox.uri, { token: carol })).status).toBe(403);
    const mine = await createBox(t, { name: 'Admin Keep' });
    expect((await t.call('DELETE', mine.uri, { token: bob })).status).toBe(403);
  });
});
