import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { append, lines, openTail, type RawTail } from '../events/tail-helpers.js';
import { CloseCode } from '../../src/shared/protocol.js';

let t: TestServer;
let bob: string;
let carol: string;
let dan: string;
let team: string;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  bob = await addUser(t, 'bob');
  carol = await addUser(t, 'carol');
  dan = await addUser(t, 'dan');
  team = (await t.call('POST', '/services/workspaces', { body: { name: 'Platform' } })).body.id;
});
afterAll(async () => t.stop());

const members = (ws: string) => `/services/workspaces/${ws}/members`;
const idsOf = (res: { body: { id: string }[] }) => res.body.map((d) => d.id);
const SCRIPT = 'http://elasticbox.net/schemas/boxes/script';

describe('workspace members', () => {
  it('adds members with roles; each sees the workspace, with what its role allows', async () => {
    const added = await t.call('POST', members(team), { body: { workspace: 'bob', role: 'read' } });
    expect(added.status).toBe(200);
    expect(added.body).toEqual([
      { workspace: 'admin', role: 'owner' },
      { workspace: 'bob', role: 'read' },
    ]);
    // The default role is collaborator.
    expect((await t.call('POST', members(team), { body: { workspace: 'carol' } })).status).toBe(200);
    const list = await t.call('GET', members(team), { token: bob });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      { workspace: 'admin', role: 'owner' },
      { workspace: 'bob', role: 'read' },
      { workspace: 'carol', role: 'collaborator' },
    ]);
    // The workspace document's CAM `members` follows.
    expect((await t.call('GET', `/services/workspaces/${team}`)).body.members).toEqual([
      { role: 'read', workspace: 'bob' },
      { role: 'collaborator', workspace: 'carol' },
    ]);

    expect(idsOf(await t.call('GET', '/services/workspaces', { token: bob }))).toEqual(['bob', team]);
    expect(idsOf(await t.call('GET', '/services/workspaces', { token: dan }))).toEqual(['dan']);
    const box = await t.call('POST', '/services/boxes', {
      token: carol,
      body: { schema: SCRIPT, name: 'Shared Box', owner: team, requirements: [] },
    });
    expect(box.status).toBe(200);
    const readOnly = await t.call('POST', '/services/boxes', {
      token: bob,
      body: { schema: SCRIPT, name: 'Reader Box', owner: team, requirements: [] },
    });
    expect(readOnly.status).toBe(403);
    expect(idsOf(await t.call('GET', '/services/boxes', { token: bob }))).toContain(box.body.id);
    expect(idsOf(await t.call('GET', '/services/boxes', { token: dan }))).not.toContain(box.body.id);
    expect((await t.call('GET', `/services/boxes/${box.body.id}`, { token: dan })).status).toBe(403);
    expect((await t.call('GET', members(team), { token: dan })).status).toBe(403);
  });

  it('lets only the owner change members (403 forbidden otherwise)', async () => {
    for (const token of [bob, carol, dan]) {
      const add = await t.call('POST', members(team), { token, body: { workspace: 'dan', role: 'read' } });
      expect(add.status).toBe(403);
      expect(add.body.code).toBe('forbidden');
      expect((await t.call('DELETE', `${members(team)}/bob`, { token })).status).toBe(403);
    }
    expect((await t.call('GET', members(team))).body.map((m: { workspace: string }) => m.workspace)).toEqual([
      'admin',
      'bob',
      'carol',
    ]);
  });

  it('refuses bad input: unknown role (400), unknown user (404), repeats and the owner (409)', async () => {
    const role = await t.call('POST', members(team), { body: { workspace: 'dan', role: 'viewer' } });
    expect(role.status).toBe(400);
    expect(role.body.code).toBe('invalid');
    expect(role.body.message).toMatch(/viewer.*collaborator or read/);
    const ghost = await t.call('POST', members(team), { body: { workspace: 'ghost', role: 'read' } });
    expect(ghost.status).toBe(404);
    expect(ghost.body.code).toBe('not_found');
    // A team workspace's id names no user.
    const other = (await t.call('POST', '/services/workspaces', { body: { name: 'Other Team' } })).body.id;
    expect((await t.call('POST', members(team), { body: { workspace: other } })).status).toBe(404);
    const again = await t.call('POST', members(team), { body: { workspace: 'bob', role: 'collaborator' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
    const owner = await t.call('POST', members(team), { body: { workspace: 'admin', role: 'read' } });
    expect(owner.status).toBe(409);
    const personal = await t.call('POST', members('admin'), { body: { workspace: 'bob', role: 'read' } });
    expect(personal.status).toBe(400);
    expect((await t.call('POST', members('nowhere'), { body: { workspace: 'bob' } })).status).toBe(404);
    expect((await t.call('DELETE', `${members(team)}/dan`)).status).toBe(404);
    const removeOwner = await t.call('DELETE', `${members(team)}/admin`);
    expect(removeOwner.status).toBe(409);
    expect(removeOwner.body.code).toBe('conflict');
    // Nothing changed.
    expect((await t.call('GET', members(team))).body).toHaveLength(3);
  });

  it('changes a role in place: a downgraded collaborator can no longer write, at once', async () => {
    const write = (name: string) =>
      t.call('POST', '/services/boxes', {
        token: carol,
        body: { schema: SCRIPT, name, owner: team, requirements: [] },
      });
    const down = await t.call('PUT', `${members(team)}/carol`, { body: { role: 'read' } });
    expect(down.status).toBe(200);
    expect(down.body).toContainEqual({ workspace: 'carol', role: 'read' });
    expect((await write('While Reader')).status).toBe(403);
    expect((await t.call('GET', `/services/workspaces/${team}/boxes`, { token: carol })).status).toBe(200);
    const up = await t.call('PUT', `${members(team)}/carol`, { body: { role: 'collaborator' } });
    expect(up.body).toContainEqual({ workspace: 'carol', role: 'collaborator' });
    const box = await write('While Collaborator');
    expect(box.status).toBe(200);
    expect((await t.call('DELETE', `/services/boxes/${box.body.id}`, { token: carol })).status).toBe(204);

    expect((await t.call('PUT', `${members(team)}/carol`, { body: { role: 'viewer' } })).status).toBe(400);
    expect((await t.call('PUT', `${members(team)}/dan`, { body: { role: 'read' } })).status).toBe(404);
    expect((await t.call('PUT', `${members(team)}/admin`, { body: { role: 'read' } })).status).toBe(409);
    const byMember = await t.call('PUT', `${members(team)}/bob`, { token: carol, body: { role: 'collaborator' } });
    expect(byMember.status).toBe(403);
    expect((await t.call('GET', members(team))).body).toContainEqual({ workspace: 'bob', role: 'read' });
  });

  it('a removed member loses access at once, with every token it holds', async () => {
    const second = (await t.call('POST', '/services/tokens', { token: carol, body: { description: 'ci' } })).body.value;
    const box = (await t.call('GET', `/services/workspaces/${team}/boxes`, { token: carol })).body[0];
    expect(box?.name).toBe('Shared Box');

    expect((await t.call('DELETE', `${members(team)}/carol`)).status).toBe(204);
    for (const token of [carol, second]) {
      expect(idsOf(await t.call('GET', '/services/workspaces', { token }))).toEqual(['carol']);
      expect((await t.call('GET', `/services/workspaces/${team}`, { token })).status).toBe(403);
      expect((await t.call('GET', `/services/workspaces/${team}/boxes`, { token })).status).toBe(403);
      expect((await t.call('GET', `/services/boxes/${box.id}`, { token })).status).toBe(403);
      expect(idsOf(await t.call('GET', '/services/boxes', { token }))).not.toContain(box.id);
      const write = await t.call('POST', '/services/boxes', {
        token,
        body: { schema: SCRIPT, name: 'After Removal', owner: team, requirements: [] },
      });
      expect(write.status).toBe(403);
      // Its own workspace still works.
      expect((await t.call('GET', '/services/workspaces/carol', { token })).status).toBe(200);
    }
    expect((await t.call('GET', `/services/workspaces/${team}`)).body.members).toEqual([
      { role: 'read', workspace: 'bob' },
    ]);
    // Added back, access returns.
    expect((await t.call('POST', members(team), { body: { workspace: 'carol', role: 'read' } })).status).toBe(200);
    expect((await t.call('GET', `/services/boxes/${box.id}`, { token: carol })).status).toBe(200);
  });

  it("closes a removed member's open event tails, and only those", async () => {
    const welcomed = (tail: RawTail) => tail.until(() => tail.messages.some((m) => m.type === 'welcome'));
    const carolTail = await openTail(t, `workspace=${team}`, carol);
    const carolOwn = await openTail(t, 'workspace=carol', carol);
    const bobTail = await openTail(t, `workspace=${team}`, bob);
    await Promise.all([carolTail, carolOwn, bobTail].map(welcomed));

    expect((await t.call('DELETE', `${members(team)}/carol`)).status).toBe(204);
    await carolTail.until(() => carolTail.closeCode !== undefined);
    expect(carolTail.closeCode).toBe(CloseCode.revoked);

    // Other members' tails and carol's tail of her own workspace keep streaming.
    await append(t, [...lines(2, 'i-members1', team), ...lines(2, 'i-members2', 'carol')]);
    await bobTail.until(() => bobTail.events.filter((e) => e.instance === 'i-members1').length === 2);
    await carolOwn.until(() => carolOwn.events.filter((e) => e.instance === 'i-members2').length === 2);
    expect(bobTail.closeCode).toBeUndefined();
    expect(carolOwn.closeCode).toBeUndefined();

    // A membership removed behind the routes (another replica) is found by the periodic re-check.
    await t.server.db.deleteFrom('memberships').where('workspace_id', '=', team).where('member', '=', 'bob').execute();
    await bobTail.until(() => bobTail.closeCode !== undefined);
    expect(bobTail.closeCode).toBe(CloseCode.revoked);
    carolOwn.close();
    await carolOwn.until(() => carolOwn.closeCode !== undefined);
  });
});
