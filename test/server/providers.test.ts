import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBox, type BoxDoc } from '../../src/server/boxes/store.js';
import { getProviderSecrets } from '../../src/server/providers/store.js';
import { createUser, issueToken } from '../../src/server/workspaces/user-store.js';
import { newUuid } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
const TS = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SECRETS = ['AKIA-SECRET-KEY-ID', 'aws-secret-value', 'os-password-value', 'rotated-secret'];

let t: TestServer;
let bob: string;
/** Every response body seen, so the last test can check no secret ever left the server. */
const seen: string[] = [];

async function call(method: string, path: string, opts: { body?: unknown; token?: string } = {}) {
  const res = await t.call(method, path, opts);
  seen.push(res.text);
  return res;
}

const testProvider = (name: string, extra: Record<string, unknown> = {}, token?: string) =>
  call('POST', '/services/providers', {
    body: { schema: `${SCHEMAS}test/provider`, type: 'Test Provider', name, ...extra },
    token,
  });

const awsProvider = (name: string, extra: Record<string, unknown> = {}) =>
  call('POST', '/services/providers', {
    body: {
      schema: `${SCHEMAS}aws/provider`,
      type: 'Amazon Web Services',
      name,
      key: SECRETS[0],
      secret: SECRETS[1],
      ...extra,
    },
  });

beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  await createUser(t.server.db, { username: 'bob', email: 'bob@example.com', password: 'bob-password-1' });
  bob = (await issueToken(t.server.db, 'bob', 'test')).value;
});
afterAll(async () => t.stop());

describe('POST /services/providers', () => {
  it('creates a ready Test Provider in the caller workspace and answers 202', async () => {
    const res = await testProvider('sandbox', { description: 'mine', icon: 'images/test.png' });
    expect(res.status).toBe(202);
    const doc = res.body;
    expect(doc.id).toMatch(UUID);
    expect(doc).toMatchObject({
      uri: `/services/providers/${doc.id}`,
      schema: `${SCHEMAS}test/provider`,
      type: 'Test Provider',
      name: 'sandbox',
      description: 'mine',
      icon: 'images/test.png',
      owner: 'admin',
      state: 'ready',
      members: [],
      deleted: null,
    });
    expect(doc.services[0].name).toBe('Linux Compute');
    expect(doc.created).toMatch(TS);
    expect((await call('GET', `/services/providers/${doc.id}`)).body).toEqual(doc);
  });

  it('stores a cloud provider as unavailable, with a log entry saying why, and hides its secrets', async () => {
    const res = await awsProvider('aws');
    expect(res.status).toBe(202);
    expect(res.body.state).toBe('unavailable');
    expect(res.body.key).toBeUndefined();
    expect(res.body.secret).toBeUndefined();
    expect(await getProviderSecrets(t.server.db, res.body.id)).toEqual({ key: SECRETS[0], secret: SECRETS[1] });
    const logs = await call('GET', `/services/providers/${res.body.id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.body).toHaveLength(1);
    expect(logs.body[0]).toMatchObject({
      provider_id: res.body.id,
      level: 40,
      operation: 'sync',
      workspace: 'admin',
      schema: `${SCHEMAS}provider-log`,
    });
    expect(logs.body[0].text).toMatch(/not supported/);
    for (const f of ['id', 'request_id']) expect(logs.body[0][f]).toMatch(UUID);
    for (const f of ['created', 'updated']) expect(logs.body[0][f]).toMatch(TS);
  });

  it('serves the public type fields and keeps passwords apart', async () => {
    const res = await call('POST', '/services/providers', {
      body: {
        schema: `${SCHEMAS}openstack/provider`,
        type: 'Openstack',
        name: 'os',
        identity_url: 'https://keystone.example/v3',
        project: 'demo',
        username: 'ops',
        password: SECRETS[2],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ identity_url: 'https://keystone.example/v3', project: 'demo', username: 'ops' });
    expect(res.body.password).toBeUndefined();
  });

  it('takes the fields CAM clients send for a Test Provider and keeps the secret ones apart', async () => {
    const secret = 'test-provider-secret-value';
    const res = await testProvider(`tp-${newUuid().slice(0, 6)}`, {
      secret,
      password: `${secret}-2`,
      username: 'tester',
      region: 'ignored',
    });
    expect(res.status).toBe(202);
    expect(res.body.username).toBe('tester');
    for (const f of ['secret', 'password', 'region']) expect(res.body[f]).toBeUndefined();
    expect(await getProviderSecrets(t.server.db, res.body.id)).toEqual({ secret, password: `${secret}-2` });
    const served = [
      await call('GET', `/services/providers/${res.body.id}`),
      await call('GET', '/services/providers'),
      await call('PUT', `/services/providers/${res.body.id}`, { body: { ...res.body, secret: `${secret}-3` } }),
    ];
    for (const reply of served) {
      expect(reply.status).toBe(200);
      expect(reply.text).not.toContain(secret);
    }
    expect((await getProviderSecrets(t.server.db, res.body.id)).secret).toBe(`${secret}-3`);
  });

  it.each([
    ['an unknown type', { type: 'Digital Ocean' }, /Unknown provider type 'Digital Ocean'/],
    ['a schema of another type', { schema: `${SCHEMAS}aws/provider` }, /does not match provider type/],
    ['a blank name', { name: ' ' }, /name/],
    ['a non-string description', { description: 5 }, /description/],
    ['a member workspace that does not exist', { members: [{ role: 'read', workspace: 'ghost' }] }, /ghost/],
  ])('refuses %s with 400', async (_what, extra, message) => {
    const res = await testProvider(`p-${newUuid().slice(0, 6)}`, extra);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it.each(['schema', 'type', 'name'])('refuses a body without %s', async (field) => {
    const body: Record<string, unknown> = { schema: `${SCHEMAS}test/provider`, type: 'Test Provider', name: 'n' };
    delete body[field];
    const res = await call('POST', '/services/providers', { body });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(field);
  });

  it('requires the fields of the type', async () => {
    const os = await call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}openstack/provider`, type: 'Rackspace', name: 'rs', username: 'u' },
    });
    expect(os.status).toBe(400);
    expect(os.body.message).toMatch(/Rackspace providers need identity_url, project, password/);
    const aws = await call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}aws/provider`, type: 'Amazon Web Services', name: 'a', credentials: {} },
    });
    expect(aws.status).toBe(400);
    expect(aws.body.message).toMatch(/credentials/);
    const role = await awsProvider('aws-role', { key: undefined, secret: undefined, credentials: { role: 'arn:x' } });
    expect(role.status).toBe(202);
    expect(role.body.credentials).toBeUndefined();
  });

  it('answers 409 on a name clash in the same workspace only', async () => {
    expect((await testProvider('twin')).status).toBe(202);
    const again = await testProvider('twin');
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/twin/);
    const bobsTwin = await call('POST', '/services/providers', {
      token: bob,
      body: {
        schema: `${SCHEMAS}aws/provider`,
        type: 'Amazon Web Services',
        name: 'twin',
        key: SECRETS[0],
        secret: SECRETS[1],
      },
    });
    expect(bobsTwin.status).toBe(202);
  });

  it('lets only administrators create a local (Test Provider) provider: it runs code on this host', async () => {
    const res = await testProvider('bob-local', {}, bob);
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/Only administrators/);
    const listed = await call('GET', '/services/providers', { token: bob });
    expect(listed.body.map((p: { name: string }) => p.name)).not.toContain('bob-local');
  });

  it('needs write access to the owner workspace', async () => {
    expect((await testProvider('elsewhere', { owner: 'bob' })).status).toBe(403);
    const team = await call('POST', '/services/workspaces', {
      body: { name: 'Infra', members: [{ role: 'read', workspace: 'bob' }] },
    });
    expect((await testProvider('team-p', { owner: team.body.id }, bob)).status).toBe(403);
    const ok = await testProvider('team-p', { owner: team.body.id });
    expect(ok.status).toBe(202);
    expect(ok.body.owner).toBe(team.body.id);
    const seenByBob = await call('GET', `/services/providers/${ok.body.id}`, { token: bob });
    expect(seenByBob.status).toBe(200);
  });

  it('answers 401 without a token', async () => {
    const res = await t.call('POST', '/services/providers', { token: null, body: {} });
    expect(res.status).toBe(401);
  });
});

describe('GET /services/providers', () => {
  it('lists only providers the caller can access', async () => {
    const mine = await testProvider('listed');
    const all = await call('GET', '/services/providers');
    expect(all.status).toBe(200);
    const ids = all.body.map((p: { id: string }) => p.id);
    expect(ids).toContain(mine.body.id);
    expect(all.body.some((p: { name: string }) => p.name === 'local')).toBe(true);
    const bobs = await call('GET', '/services/providers', { token: bob });
    expect(bobs.body.map((p: { id: string }) => p.id)).not.toContain(mine.body.id);
    const some = await call('GET', `/services/providers?ids=${mine.body.id},`);
    expect(some.body.map((p: { id: string }) => p.id)).toEqual([mine.body.id]);
  });

  it('answers 404 for an unknown id and 403 for another workspace', async () => {
    expect((await call('GET', `/services/providers/${newUuid()}`)).status).toBe(404);
    const mine = await testProvider('private');
    expect((await call('GET', `/services/providers/${mine.body.id}`, { token: bob })).status).toBe(403);
    expect((await call('GET', `/services/providers/${mine.body.id}/logs`, { token: bob })).status).toBe(403);
  });
});

describe('PUT /services/providers/:prov', () => {
  it('applies name, description, members and credentials only', async () => {
    const created = (await awsProvider('editable')).body;
    const res = await call('PUT', `/services/providers/${created.id}`, {
      body: {
        ...created,
        name: 'edited',
        description: 'new words',
        members: [{ role: 'read', workspace: 'bob' }],
        secret: SECRETS[3],
        state: 'ready',
        owner: 'bob',
        type: 'Test Provider',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'edited',
      description: 'new words',
      members: [{ role: 'read', workspace: 'bob' }],
      state: 'unavailable',
      owner: 'admin',
      type: 'Amazon Web Services',
    });
    expect(res.body.updated).not.toBe(created.updated);
    expect(res.body.secret).toBeUndefined();
    expect(await getProviderSecrets(t.server.db, created.id)).toEqual({ key: SECRETS[0], secret: SECRETS[3] });
    const shared = await call('GET', `/services/providers/${created.id}`, { token: bob });
    expect(shared.status).toBe(200);
    expect((await call('PUT', `/services/providers/${created.id}`, { token: bob, body: {} })).status).toBe(403);
  });

  it('refuses bad fields, name clashes and strangers', async () => {
    const a = (await testProvider('put-a')).body;
    await testProvider('put-b');
    expect((await call('PUT', `/services/providers/${a.id}`, { body: { name: 'put-b' } })).status).toBe(409);
    const badMember = await call('PUT', `/services/providers/${a.id}`, {
      body: { members: [{ role: 'admin', workspace: 'bob' }] },
    });
    expect(badMember.status).toBe(400);
    expect((await call('PUT', `/services/providers/${a.id}`, { body: { name: '' } })).status).toBe(400);
    expect((await call('PUT', `/services/providers/${a.id}`, { token: bob, body: {} })).status).toBe(403);
    expect((await call('PUT', `/services/providers/${newUuid()}`, { body: {} })).status).toBe(404);
  });
});

describe('sync, logs and delete', () => {
  it('syncs with 202, a new updated and a log entry', async () => {
    const local = (await testProvider('syncable')).body;
    const res = await call('PUT', `/services/providers/${local.id}/sync`);
    expect(res.status).toBe(202);
    expect(res.body.state).toBe('ready');
    expect(res.body.updated).not.toBe(local.updated);
    const logs = (await call('GET', `/services/providers/${local.id}/logs`)).body;
    expect(logs.map((l: { level: number }) => l.level)).toEqual([20, 20]);
    const aws = (await awsProvider('aws-sync')).body;
    const synced = await call('PUT', `/services/providers/${aws.id}/sync`);
    expect(synced.body.state).toBe('unavailable');
    expect((await call('GET', `/services/providers/${aws.id}/logs`)).body).toHaveLength(2);
    expect((await call('PUT', `/services/providers/${aws.id}/sync`, { token: bob })).status).toBe(403);
    expect((await call('PUT', `/services/providers/${newUuid()}/sync`)).status).toBe(404);
  });

  it('deletes with 202, but not while an instance uses the provider', async () => {
    const gone = (await testProvider('deletable')).body;
    expect((await call('DELETE', `/services/providers/${gone.id}`, { token: bob })).status).toBe(403);
    expect((await call('DELETE', `/services/providers/${gone.id}`)).status).toBe(202);
    expect((await call('GET', `/services/providers/${gone.id}`)).status).toBe(404);
    expect((await call('DELETE', `/services/providers/${gone.id}`)).status).toBe(404);

    const used = (await testProvider('in-use')).body;
    const now = timestamp();
    const box = (id: string, fields: Record<string, unknown>): BoxDoc => ({
      id,
      uri: `/services/boxes/${id}`,
      name: `b-${id.slice(0, 6)}`,
      owner: 'admin',
      schema: `${SCHEMAS}boxes/script`,
      variables: [],
      created: now,
      updated: now,
      ...fields,
    });
    const policy = box(newUuid(), { schema: `${SCHEMAS}boxes/policy`, claims: ['linux'], provider_id: used.id });
    const script = box(newUuid(), { requirements: ['linux'] });
    await insertBox(t.server.db, policy);
    await insertBox(t.server.db, script);
    const inst = await call('POST', '/services/instances', {
      body: {
        schema: `${SCHEMAS}deploy-instance-request`,
        name: 'user',
        box: { id: script.id },
        policy_box: { id: policy.id },
        automatic_updates: 'off',
      },
    });
    expect(inst.status).toBe(202);
    const refused = await call('DELETE', `/services/providers/${used.id}`);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^Active service using the provider/);
    expect((await call('GET', `/services/providers/${used.id}`)).status).toBe(200);
  });
});

describe('persistence and secrecy', () => {
  it('keeps providers across a restart', async () => {
    const doc = (await awsProvider('durable')).body;
    await t.restart();
    const res = await call('GET', `/services/providers/${doc.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(doc);
    expect(await getProviderSecrets(t.server.db, doc.id)).toEqual({ key: SECRETS[0], secret: SECRETS[1] });
  });

  it('never served a secret in any response', async () => {
    await call('GET', '/services/providers');
    await call('GET', '/services/workspaces/admin/providers');
    expect(seen.length).toBeGreaterThan(40);
    for (const text of seen) for (const s of SECRETS) expect(text).not.toContain(s);
  });
});
