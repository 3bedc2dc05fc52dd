import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { insertBox } from '../../src/server/boxes/store.js';
import { timestamp } from '../../src/shared/time.js';

let t: TestServer;
let bob: string;
let carol: string;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  bob = await addUser(t, 'bob');
  carol = await addUser(t, 'carol');
});
afterAll(async () => t.stop());

const TEAM = 'http://elasticbox.net/schemas/workspaces/team';

describe('workspaces', () => {
  it('lists the personal workspace first', async () => {
    const res = await t.call('GET', '/services/workspaces');
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({
      id: 'admin',
      uri: '/services/workspaces/admin',
      schema: 'http://elasticbox.net/schemas/workspaces/personal',
    });
  });

  it('creates a team workspace with a slug id, and refuses a name clash with 409', async () => {
    const res = await t.call('POST', '/services/workspaces', { body: { schema: TEAM, name: 'Project Elastic' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'project',
      name: 'Project Elastic',
      owner: 'admin',
      members: [],
      schema: TEAM,
    });
    expect(res.body.created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    const again = await t.call('POST', '/services/workspaces', { body: { name: 'Project Elastic' } });
    expect(again.status).toBe(409);
    const other = await t.call('POST', '/services/workspaces', { body: { name: 'Project Other' } });
    expect(other.body.id).toBe('project-2');
  });

  it('validates create bodies', async () => {
    expect((await t.call('POST', '/services/workspaces', { body: {} })).status).toBe(400);
    expect((await t.call('POST', '/services/workspaces', { body: { name: 'x', schema: 'nope' } })).status).toBe(400);
    const unknownMember = await t.call('POST', '/services/workspaces', {
      body: { name: 'Members', members: [{ role: 'read', workspace: 'nobody' }] },
    });
    expect(unknownMember.status).toBe(400);
    expect(unknownMember.body.message).toMatch(/nobody/);
    const someoneElse = await t.call('POST', '/services/workspaces', { body: { name: 'Theft', owner: 'bob' } });
    expect(someoneElse.status).toBe(403);
  });

  it('scopes access to members: 403 for others, read-only for readers', async () => {
    const ws = (
      await t.call('POST', '/services/workspaces', {
        body: { name: 'Shared', members: [{ role: 'read', workspace: 'bob' }] },
      })
    ).body;
    expect((await t.call('GET', `/services/workspaces/${ws.id}`, { token: bob })).status).toBe(200);
    expect((await t.call('GET', `/services/workspaces/${ws.id}`, { token: carol })).status).toBe(403);
    expect((await t.call('GET', `/services/workspaces/${ws.id}/boxes`, { token: carol })).status).toBe(403);
    expect((await t.call('GET', `/services/workspaces/${ws.id}/instances`, { token: carol })).status).toBe(403);
    expect((await t.call('GET', `/services/workspaces/${ws.id}/providers`, { token: carol })).status).toBe(403);
    const bobList = (await t.call('GET', '/services/workspaces', { token: bob })).body.map((w: any) => w.id);
    expect(bobList).toEqual(['bob', ws.id]);
    const write = await t.call('PUT', `/services/workspaces/${ws.id}`, {
      token: bob,
      body: { ...ws, name: 'Renamed' },
    });
    expect(write.status).toBe(403);
    expect((await t.call('DELETE', `/services/workspaces/${ws.id}`, { token: bob })).status).toBe(403);
    expect((await t.call('GET', '/services/workspaces/admin', { token: bob })).status).toBe(403);
    expect((await t.call('GET', '/services/workspaces/ghost')).status).toBe(404);
  });

  it('updates with PUT of the full document, applying only editable fields', async () => {
    const ws = (await t.call('POST', '/services/workspaces', { body: { name: 'Editable' } })).body;
    const res = await t.call('PUT', `/services/workspaces/${ws.id}`, {
      body: {
        ...ws,
        name: 'Edited',
        owner: 'bob',
        id: 'hijack',
        members: [{ role: 'collaborator', workspace: 'carol' }],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ws.id, name: 'Edited', owner: 'admin' });
    expect(res.body.updated > ws.updated).toBe(true);
    const asCarol = await t.call('PUT', `/services/workspaces/${ws.id}`, {
      token: carol,
      body: { name: 'Carol was here' },
    });
    expect(asCarol.status).toBe(200);
    const memberChange = await t.call('PUT', `/services/workspaces/${ws.id}`, { token: carol, body: { members: [] } });
    expect(memberChange.status).toBe(403);
  });

  it('deletes team workspaces but not personal ones or ones that still own resources', async () => {
    const ws = (await t.call('POST', '/services/workspaces', { body: { name: 'Doomed' } })).body;
    expect((await t.call('DELETE', '/services/workspaces/admin')).status).toBe(403);
    const now = timestamp();
    await insertBox(t.server.db, {
      id: '11111111-2222-4333-8444-555555555555',
      uri: '/services/boxes/11111111-2222-4333-8444-555555555555',
      schema: 'http://elasticbox.net/schemas/boxes/script',
      name: 'Held',
      owner: ws.id,
      created: now,
      updated: now,
    });
    const held = await t.call('DELETE', `/services/workspaces/${ws.id}`);
    expect(held.status).toBe(409);
    expect(held.body.message).toMatch(/1 boxes/);
    const empty = (await t.call('POST', '/services/workspaces', { body: { name: 'Empty' } })).body;
    expect((await t.call('DELETE', `/services/workspaces/${empty.id}`)).status).toBe(204);
    expect((await t.call('GET', `/services/workspaces/${empty.id}`)).status).toBe(404);
  });

  it('merges a member listed twice with one role, and refuses two roles with 400 (never 500)', async () => {
    const twice = [
      { role: 'read', workspace: 'bob' },
      { role: 'read', workspace: 'bob' },
    ];
    const created = await t.call('POST', '/services/workspaces', { body: { name: 'Dupes', members: twice } });
    expect(created.status).toBe(200);
    expect(created.body.members).toEqual([{ role: 'read', workspace: 'bob' }]);
    expect((await t.call('GET', `/services/workspaces/${created.body.id}`, { token: bob })).status).toBe(200);

    const clash = [
      { role: 'read', workspace: 'carol' },
      { role: 'collaborator', workspace: 'carol' },
    ];
    const refused = await t.call('POST', '/services/workspaces', { body: { name: 'Clash', members: clash } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/carol is listed twice, as read and as collaborator/);
    expect((await t.call('GET', '/services/workspaces')).body.map((w: any) => w.name)).not.toContain('Clash');

    const put = await t.call('PUT', `/services/workspaces/${created.body.id}`, {
      body: {
        members: [...twice, { role: 'collaborator', workspace: 'carol' }, { role: 'collaborator', workspace: 'carol' }],
      },
    });
    expect(put.status).toBe(200);
    expect(put.body.members).toEqual([
      { role: 'read', workspace: 'bob' },
      { role: 'collaborator', workspace: 'carol' },
    ]);
    const putClash = await t.call('PUT', `/services/workspaces/${created.body.id}`, { body: { members: clash } });
    expect(putClash.status).toBe(400);
    const kept = (await t.call('GET', `/services/workspaces/${created.body.id}`)).body;
    expect(kept.members).toEqual(put.body.members);
    expect((await t.call('GET', `/services/workspaces/${created.body.id}`, { token: carol })).status).toBe(200);
  });
});
