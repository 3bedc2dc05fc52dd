import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';

let t: TestServer;
let bob: string;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  bob = await addUser(t, 'bob');
});
afterAll(async () => t.stop());

const USERS = '/services/organizations/public/users';
const add = (body: Record<string, unknown>, token?: string) =>
  t.call('POST', USERS, { body, ...(token === undefined ? {} : { token }) });

/** Logs in with email and password; returns the raw token (or the failed reply's status). */
async function login(email: string, password: string): Promise<{ status: number; token: string }> {
  const res = await t.call('POST', '/services/security/token', { token: null, body: { email, password } });
  return { status: res.status, token: res.text };
}

describe('organization users', () => {
  it('adds a user who can log in with the password and sees only its own workspace', async () => {
    const res = await add({ username: 'alice', email: 'alice@example.test', password: 'alice-initial-pw' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'alice',
      username: 'alice',
      email: 'alice@example.test',
      is_admin: false,
      workspace: 'alice',
      uri: '/services/organizations/public/users/alice',
    });
    expect(res.text).not.toContain('alice-initial-pw');
    const row = await t.server.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', 'alice')
      .executeTakeFirst();
    expect(row?.password_hash).toMatch(/^scrypt\$/);
    expect(row?.password_hash).not.toContain('alice-initial-pw');

    expect((await login('alice@example.test', 'wrong-password')).status).toBe(401);
    const { status, token } = await login('alice@example.test', 'alice-initial-pw');
    expect(status).toBe(200);
    const list = await t.call('GET', '/services/workspaces', { token });
    expect(list.body.map((w: { id: string }) => w.id)).toEqual(['alice']);
    expect((await t.call('GET', '/services/profile', { token })).body).toMatchObject({ id: 'alice', is_admin: false });
  });

  it('lists users to an admin, without password hashes', async () => {
    const res = await t.call('GET', USERS);
    expect(res.status).toBe(200);
    const ids = res.body.map((u: { id: string }) => u.id);
    expect(ids).toEqual(expect.arrayContaining(['admin', 'bob', 'alice']));
    expect(res.body.find((u: { id: string }) => u.id === 'admin').is_admin).toBe(true);
    expect(res.text).not.toMatch(/scrypt|password/);
  });

  it('refuses every user route to a non-admin with 403 forbidden, and changes nothing', async () => {
    const list = await t.call('GET', USERS, { token: bob });
    expect(list.status).toBe(403);
    expect(list.body.code).toBe('forbidden');
    const created = await add({ username: 'mallory', email: 'mallory@example.test', password: 'mallory-pw-1' }, bob);
    expect(created.status).toBe(403);
    expect(created.body.code).toBe('forbidden');
    const removed = await t.call('DELETE', `${USERS}/alice`, { token: bob });
    expect(removed.status).toBe(403);
    const ids = (await t.call('GET', USERS)).body.map((u: { id: string }) => u.id);
    expect(ids).not.toContain('mallory');
    expect(ids).toContain('alice');
  });

  it('an admin added with is_admin manages users too', async () => {
    await add({ username: 'root2', email: 'root2@example.test', password: 'root2-password', is_admin: true });
    const { token } = await login('root2@example.test', 'root2-password');
    expect((await t.call('GET', USERS, { token })).status).toBe(200);
  });

  it('refuses bad input with 400 invalid, naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ username: 'eve', email: 'not-an-email', password: 'long-enough' }, /email/],
      [{ username: 'eve', email: 'eve@nodot', password: 'long-enough' }, /email/],
      [{ username: 'eve', email: 'e ve@example.test', password: 'long-enough' }, /email/],
      [{ username: 'Eve!', email: 'eve@example.test', password: 'long-enough' }, /username/],
      [{ username: 'eve', email: 'eve@example.test', password: 'short' }, /password/],
      [{ username: 'eve', email: 'eve@example.test' }, /password/],
    ];
    for (const [body, message] of cases) {
      const res = await add(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('invalid');
      expect(res.body.message).toMatch(message);
    }
    expect((await t.call('GET', USERS)).body.map((u: { id: string }) => u.id)).not.toContain('eve');
  });

  it('refuses a taken username, workspace id or email (any case) with 409 conflict', async () => {
    const taken = [
      { username: 'alice', email: 'other@example.test', password: 'long-enough' },
      { username: 'alice2', email: 'ALICE@example.test', password: 'long-enough' },
    ];
    const team = await t.call('POST', '/services/workspaces', { body: { name: 'Ops' } });
    taken.push({ username: team.body.id, email: 'ops@example.test', password: 'long-enough' });
    for (const body of taken) {
      const res = await add(body);
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.body.code).toBe('conflict');
    }
    // The first alice still logs in with her own password.
    expect((await login('alice@example.test', 'alice-initial-pw')).status).toBe(200);
  });

  it('answers 404 for an unknown organization or user', async () => {
    const org = await t.call('GET', '/services/organizations/acme/users');
    expect(org.status).toBe(404);
    expect(org.body.code).toBe('not_found');
    const user = await t.call('DELETE', `${USERS}/nobody`);
    expect(user.status).toBe(404);
    expect(user.body.code).toBe('not_found');
  });

  it('removes a user: its tokens stop working at once and it leaves team workspaces', async () => {
    await add({ username: 'dave', email: 'dave@example.test', password: 'dave-password' });
    const { token } = await login('dave@example.test', 'dave-password');
    const team = (
      await t.call('POST', '/services/workspaces', {
        body: { name: 'With Dave', members: [{ role: 'collaborator', workspace: 'dave' }] },
      })
    ).body;
    expect((await t.call('GET', `/services/workspaces/${team.id}`, { token })).status).toBe(200);

    expect((await t.call('DELETE', `${USERS}/dave`)).status).toBe(204);
    expect((await t.call('GET', '/services/workspaces', { token })).status).toBe(401);
    expect((await login('dave@example.test', 'dave-password')).status).toBe(401);
    const after = await t.call('GET', `/services/workspaces/${team.id}`);
    expect(after.body.members).toEqual([]);
    expect((await t.call('GET', `/services/workspaces/${team.id}/members`)).body).toEqual([
      { workspace: 'admin', role: 'owner' },
    ]);
    expect((await t.call('GET', USERS)).body.map((u: { id: string }) => u.id)).not.toContain('dave');
    // The personal workspace stays, marked deleted and reachable by no one, so the name is never
    // reused: what still names it (uploaded blobs, events) cannot pass to a newcomer.
    expect((await t.call('GET', '/services/workspaces/dave')).status).toBe(403);
    const reuse = await add({ username: 'dave', email: 'dave@example.test', password: 'dave-password-2' });
    expect(reuse.status).toBe(409);
    expect(reuse.body.message).toMatch(/removed user/);
    // The email is free again.
    const again = await add({ username: 'dave2', email: 'dave@example.test', password: 'dave-password-2' });
    expect(again.status).toBe(200);
    // Nor can a new team workspace take the id.
    expect((await t.call('POST', '/services/workspaces', { body: { name: 'Dave' } })).body.id).toBe('dave-2');
    // Nor can dave be added to a workspace any more.
    const member = await t.call('POST', `/services/workspaces/${team.id}/members`, { body: { workspace: 'dave' } });
    expect(member.status).toBe(404);
    const put = await t.call('PUT', `/services/workspaces/${team.id}`, {
      body: { ...team, members: [{ role: 'read', workspace: 'dave' }] },
    });
    expect(put.status).toBe(400);
    const share = await t.call('POST', '/services/providers', {
      body: {
        schema: 'http://elasticbox.net/schemas/test/provider',
        type: 'Test Provider',
        name: 'shared-with-removed',
        members: [{ role: 'read', workspace: 'dave' }],
      },
    });
    expect(share.status).toBe(400);
  });

  it('refuses to remove yourself, or a user who still owns something, with 409 conflict', async () => {
    const self = await t.call('DELETE', `${USERS}/admin`);
    expect(self.status).toBe(409);
    expect(self.body.code).toBe('conflict');

    await add({ username: 'frank', email: 'frank@example.test', password: 'frank-password' });
    const { token } = await login('frank@example.test', 'frank-password');
    const ws = (await t.call('POST', '/services/workspaces', { token, body: { name: 'Franks Team' } })).body;
    const owner = await t.call('DELETE', `${USERS}/frank`);
    expect(owner.status).toBe(409);
    expect(owner.body.message).toContain(ws.id);
    expect((await t.call('DELETE', `/services/workspaces/${ws.id}`, { token })).status).toBe(204);

    const box = await t.call('POST', '/services/boxes', {
      token,
      body: { schema: 'http://elasticbox.net/schemas/boxes/script', name: 'Franks Box', requirements: [] },
    });
    expect(box.status).toBe(200);
    const holder = await t.call('DELETE', `${USERS}/frank`);
    expect(holder.status).toBe(409);
    expect(holder.body.message).toMatch(/1 boxes/);
    expect((await t.call('GET', '/services/workspaces', { token })).status).toBe(200);

    expect((await t.call('DELETE', `/services/boxes/${box.body.id}`, { token })).status).toBe(204);

    // A provider shared with frank's workspace would pass to a later user named frank.
    const provider = await t.call('POST', '/services/providers', {
      body: {
        schema: 'http://elasticbox.net/schemas/test/provider',
        type: 'Test Provider',
        name: 'shared-with-frank',
        members: [{ role: 'read', workspace: 'frank' }],
      },
    });
    expect(provider.status).toBe(202);
    const shared = await t.call('DELETE', `${USERS}/frank`);
    expect(shared.status).toBe(409);
    expect(shared.body.message).toContain(`provider ${provider.body.id}`);
    const unshared = await t.call('PUT', `/services/providers/${provider.body.id}`, {
      body: { ...provider.body, members: [] },
    });
    expect(unshared.status).toBe(200);

    // A machine registered into frank's workspace keeps an agent credential: it goes first.
    const now = new Date().toISOString();
    await t.server.db
      .insertInto('registered_machines')
      .values({
        id: 'rm-frank1',
        workspace: 'frank',
        hostname: 'frank-host',
        claims: '[]',
        token_hash: 'frank-machine-token-hash',
        agent_version: null,
        address: null,
        connected: 0,
        last_seen: null,
        instance_id: null,
        machine_name: null,
        created: now,
        updated: now,
      })
      .execute();
    const machine = await t.call('DELETE', `${USERS}/frank`);
    expect(machine.status).toBe(409);
    expect(machine.body.message).toMatch(/1 registered machines/);
    expect((await t.call('DELETE', '/services/machines/rm-frank1', { token })).status).toBe(204);
    expect((await t.call('DELETE', `${USERS}/frank`)).status).toBe(204);
  });
});
