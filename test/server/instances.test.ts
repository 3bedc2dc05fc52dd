import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBox, type BoxDoc, type BoxVariable } from '../../src/server/boxes/store.js';
import { getInstance, updateInstance } from '../../src/server/instances/store.js';
import { machineName } from '../../src/server/workflows/instance-doc.js';
import { createUser, issueToken } from '../../src/server/workspaces/user-store.js';
import { newUuid } from '../../src/shared/ids.js';
import { formatTimestamp, timestamp } from '../../src/shared/time.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
const DEPLOY = `${SCHEMAS}deploy-instance-request`;
const TS = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

let t: TestServer;
let bob: string;
let defaultPolicy: string;
let localProvider: string;

async function makeBox(owner: string, fields: Partial<BoxDoc> & { variables?: BoxVariable[] } = {}): Promise<BoxDoc> {
  const id = newUuid();
  const now = timestamp();
  const doc: BoxDoc = {
    id,
    uri: `/services/boxes/${id}`,
    schema: `${SCHEMAS}boxes/script`,
    name: `box-${id.slice(0, 8)}`,
    owner,
    requirements: ['linux'],
    variables: [],
    created: now,
    updated: now,
    ...fields,
  };
  await insertBox(t.server.db, doc);
  return doc;
}

const deploy = (box: string, extra: Record<string, unknown> = {}, token?: string) =>
  t.call('POST', '/services/instances', {
    body: { schema: DEPLOY, name: `i-${newUuid().slice(0, 8)}`, box: { id: box }, automatic_updates: 'off', ...extra },
    token,
  });

/** Asserts an error answer: its status and a message naming the problem. */
function refused(res: { status: number; body: { message: string } }, status: number, message: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.body.message).toMatch(message);
}

const future = () => formatTimestamp(BigInt(Date.now() + 3_600_000) * 1000n);

let plain: BoxDoc;
let child: BoxDoc;
let rich: BoxDoc;

beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  await createUser(t.server.db, { username: 'bob', email: 'bob@example.com', password: 'bob-password-1' });
  bob = (await issueToken(t.server.db, 'bob', 'test')).value;
  const boxes = await t.call('GET', '/services/workspaces/admin/boxes');
  const adminPolicy = boxes.body.find((b: BoxDoc) => b.schema === `${SCHEMAS}boxes/policy`);
  defaultPolicy = adminPolicy.id;
  localProvider = adminPolicy.provider_id;
  // No provider or policy is shared by default: the admin shares its local provider with bob,
  // who deploys through a policy of his own.
  const share = await t.call('PUT', `/services/providers/${localProvider}`, {
    body: { members: [{ role: 'read', workspace: 'bob' }] },
  });
  expect(share.status).toBe(200);
  await makeBox('bob', {
    schema: `${SCHEMAS}boxes/policy`,
    name: 'Bob Local',
    claims: ['linux'],
    provider_id: localProvider,
    profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
  });
  plain = await makeBox('admin', { name: 'Plain' });
  child = await makeBox('admin', {
    name: 'Child',
    variables: [
      { name: 'API_KEY', type: 'Text', value: '', required: true },
      { name: 'LEVEL', type: 'Number', value: '1' },
    ],
  });
  rich = await makeBox('admin', {
    name: 'Rich',
    variables: [
      { name: 'HTTP_PORT', type: 'Port', value: '80', required: true, visibility: 'public' },
      { name: 'COUNT', type: 'Number', value: '1' },
      { name: 'MODE', type: 'Options', value: 'a', options: 'a, b,c' },
      { name: 'NOTE', type: 'Text', value: '' },
      { name: 'db', type: 'Binding', value: 'AnyBox' },
      { name: 'nested', type: 'Box', value: child.id },
      { name: 'API_KEY', type: 'Text', value: 'from-parent', scope: 'nested' },
    ],
  });
});
afterAll(async () => t.stop());

describe('POST /services/instances', () => {
  it('stores a processing deploy and answers 202 with the CAM document', async () => {
    const res = await deploy(rich.id, { name: 'Web', instance_tags: ['a', 'b', 'a'] });
    expect(res.status).toBe(202);
    const doc = res.body;
    expect(doc.id).toMatch(/^i-[a-z0-9]{6}$/);
    expect(doc.uri).toBe(`/services/instances/${doc.id}`);
    expect(doc.schema).toBe(`${SCHEMAS}instance`);
    expect(doc).toMatchObject({ name: 'Web', owner: 'admin', state: 'processing', box: rich.id, deleted: null });
    expect(doc.operation).toMatchObject({ event: 'deploy', workspace: 'admin' });
    for (const ts of [doc.created, doc.updated, doc.operation.created]) expect(ts).toMatch(TS);
    expect(doc.boxes.map((b: BoxDoc) => b.id)).toEqual([rich.id, child.id]);
    expect(doc.policy_box.id).toBe(defaultPolicy);
    expect(doc.service).toMatchObject({ type: 'Linux Compute', machines: [] });
    expect(doc.service.id).toMatch(/^eb-[a-z0-9]{5}$/);
    expect(doc).toMatchObject({ variables: [], tags: ['a', 'b'], bindings: [], members: [] });
    expect(doc).toMatchObject({ automatic_updates: 'off', automatic_reconfiguration: true });
    expect(doc.lease).toBeUndefined();
    const got = await t.call('GET', `/services/instances/${doc.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(doc);
  });

  it('accepts a dated schema, box.variables null and the optional fields', async () => {
    const res = await deploy(plain.id, {
      schema: `${SCHEMAS}2014-10-09/deploy-instance-request`,
      box: { id: plain.id, variables: null },
      owner: 'admin',
      policy_box: { id: defaultPolicy, variables: [] },
      lease: { expire: future(), operation: 'terminate' },
      ipv4_address: '10.0.0.5',
      automatic_updates: 'minor',
    });
    expect(res.status).toBe(202);
    expect(res.body.lease).toMatchObject({ operation: 'terminate', released: false });
    expect(res.body.lease.expire).toMatch(TS);
    expect(res.body).toMatchObject({ ipv4_address: '10.0.0.5', automatic_updates: 'minor' });
  });

  it.each([
    ['schema', /schema/],
    ['name', /name/],
    ['box', /box/],
  ])('refuses a request without %s', async (field, message) => {
    const body: Record<string, unknown> = {
      schema: DEPLOY,
      name: 'x',
      box: { id: plain.id },
      automatic_updates: 'off',
    };
    delete body[field];
    refused(await t.call('POST', '/services/instances', { body }), 400, message);
  });

  it('takes automatic_updates as off when a historical client leaves it out', async () => {
    const res = await t.call('POST', '/services/instances', {
      body: { schema: DEPLOY, name: `i-${newUuid().slice(0, 8)}`, box: { id: plain.id } },
    });
    expect(res.status).toBe(202);
    expect(res.body.automatic_updates).toBe('off');
  });

  it('takes instance names up to 255 characters and keeps machine names short', async () => {
    const name = `${'Long name '.repeat(25)}abcde`;
    expect(name).toHaveLength(255);
    const res = await deploy(plain.id, { name });
    expect(res.status).toBe(202);
    expect(res.body.name).toBe(name);
    expect(machineName(res.body)).toBe(`${'long-name-'.repeat(4)}-${res.body.service.id}-1`);
  });

  it('ignores unknown fields at every level but still refuses wrong types of known ones', async () => {
    const ignored = await deploy(plain.id, {
      environment: 'x',
      box: { id: plain.id, flavour: 'big' },
      lease: { expire: future(), operation: 'shutdown', reason: 'demo' },
    });
    expect(ignored.status).toBe(202);
    expect(ignored.body.environment).toBeUndefined();
    expect(ignored.body.lease).toEqual({ expire: expect.stringMatching(TS), operation: 'shutdown', released: false });
    const stored = await t.call('GET', `/services/instances/${ignored.body.id}`);
    expect(stored.body.environment).toBeUndefined();
    refused(await deploy(plain.id, { environment: 'x', instance_tags: 'one' }), 400, /instance_tags/);
    refused(
      await t.call('POST', '/services/instances/dryrun', {
        body: { schema: DEPLOY, name: 5, box: { id: plain.id }, extra: 1 },
      }),
      400,
      /name/,
    );
    const ok = await deploy(rich.id, {
      box: { id: rich.id, variables: [{ name: 'NOTE', type: 'Text', value: 'hi', visibility: 'public', required: 0 }] },
    });
    expect(ok.status).toBe(202);
    expect(ok.body.variables).toEqual([{ name: 'NOTE', type: 'Text', value: 'hi' }]);
  });

  it.each([
    ['a too long name', { name: 'x'.repeat(256) }, /name/],
    ['a blank name', { name: '   ' }, /name/],
    ['bad automatic_updates', { automatic_updates: 'always' }, /automatic_updates/],
    ['a bad ipv4_address', { ipv4_address: '300.1.1.1' }, /ipv4_address/],
    ['non-string tags', { instance_tags: [1] }, /instance_tags/],
    ['a too long tag', { instance_tags: ['t'.repeat(101)] }, /instance_tags/],
    ['another request schema', { schema: `${SCHEMAS}bulk-import-request` }, /not supported/],
    ['a register request without its host', { schema: `${SCHEMAS}register-instance-request` }, /unregistered_id/],
    ['a foreign schema', { schema: 'http://example.com/x' }, /schema must be/],
    ['a lease in the past', { lease: { expire: '2014-11-17 23:00:00.000000', operation: 'shutdown' } }, /future/],
    ['a malformed lease', { lease: { expire: 'tomorrow', operation: 'shutdown' } }, /lease.expire/],
    ['an impossible date', { lease: { expire: '2999-02-30 10:00:00.000000', operation: 'shutdown' } }, /lease/],
    ['a bad lease operation', { lease: { expire: '2999-01-01 00:00:00.000000', operation: 'reboot' } }, /lease/],
    ['a string box', { box: 'abc' }, /box/],
  ])('refuses %s with 400', async (_what, extra, message) => {
    refused(await deploy(plain.id, extra), 400, message);
  });

  it('refuses unknown boxes and boxes that cannot be deployed', async () => {
    refused(await deploy(newUuid()), 400, /^box .* not found/);
    refused(await deploy(defaultPolicy), 400, /policy box and cannot be deployed/);
    const app = await makeBox('admin', { schema: `${SCHEMAS}boxes/application`, services: [] });
    refused(await deploy(app.id), 400, /application box/);
  });

  it('answers 409 on a name clash in the same workspace, in the dry run too', async () => {
    expect((await deploy(plain.id, { name: 'Twin' })).status).toBe(202);
    refused(await deploy(plain.id, { name: 'Twin' }), 409, /Twin/);
    const dry = await t.call('POST', '/services/instances/dryrun', {
      body: { schema: DEPLOY, name: 'Twin', box: { id: plain.id }, automatic_updates: 'off' },
    });
    expect(dry.status).toBe(409);
    const bobBox = await makeBox('bob');
    expect((await deploy(bobBox.id, { name: 'Twin' }, bob)).status).toBe(202);
  });

  it('checks write access to the owner workspace', async () => {
    expect((await deploy(plain.id, { owner: 'bob' })).status).toBe(403);
    const team = await t.call('POST', '/services/workspaces', {
      body: { name: 'Ops Team', members: [{ role: 'read', workspace: 'bob' }] },
    });
    const teamBox = await makeBox(team.body.id);
    expect((await deploy(teamBox.id, { owner: team.body.id }, bob)).status).toBe(403);
    await t.call('PUT', `/services/workspaces/${team.body.id}`, {
      body: { members: [{ role: 'collaborator', workspace: 'bob' }] },
    });
    refused(await deploy(teamBox.id, { owner: team.body.id }, bob), 400, /not shared with workspace/);
    const members = [
      { role: 'read', workspace: 'bob' },
      { role: 'read', workspace: team.body.id },
    ];
    expect((await t.call('PUT', `/services/providers/${localProvider}`, { body: { members } })).status).toBe(200);
    const ok = await deploy(teamBox.id, { owner: team.body.id }, bob);
    expect(ok.status).toBe(202);
    expect(ok.body.owner).toBe(team.body.id);
  });

  it('answers 403 for a box of another workspace', async () => {
    const res = await deploy(plain.id, {}, bob);
    expect(res.status).toBe(403);
  });
});

describe('variable overrides', () => {
  const withVars = (variables: unknown[]) => deploy(rich.id, { box: { id: rich.id, variables } });

  it('stores valid overrides normalised, nested ones with their scope', async () => {
    const target = await deploy(plain.id);
    const res = await withVars([
      { name: 'HTTP_PORT', value: 8080 },
      { name: 'MODE', type: 'Options', value: 'b', scope: '' },
      { name: 'API_KEY', value: 'k', scope: 'nested' },
      { name: 'LEVEL', type: 'Number', value: '-3', scope: 'nested' },
      { name: 'db', type: 'Binding', value: target.body.id },
    ]);
    expect(res.status).toBe(202);
    expect(res.body.variables).toEqual([
      { name: 'HTTP_PORT', type: 'Port', value: '8080' },
      { name: 'MODE', type: 'Options', value: 'b' },
      { name: 'API_KEY', type: 'Text', value: 'k', scope: 'nested' },
      { name: 'LEVEL', type: 'Number', value: '-3', scope: 'nested' },
      { name: 'db', type: 'Binding', value: target.body.id },
    ]);
  });

  it('binds by tags when the value is left out', async () => {
    const res = await withVars([{ name: 'db', type: 'Binding', tags: ['demo-db'] }]);
    expect(res.status).toBe(202);
    expect(res.body.variables).toEqual([{ name: 'db', type: 'Binding', value: '', tags: ['demo-db'] }]);
  });

  it.each([
    ['an unknown name', { name: 'NOPE', value: 'x' }, /unknown variable 'NOPE'/],
    ['a wrong scope', { name: 'API_KEY', value: 'x', scope: 'other' }, /unknown variable 'API_KEY' in scope 'other'/],
    ['a parent override target', { name: 'API_KEY', value: 'x' }, /unknown variable 'API_KEY'/],
    ['a non-integer Number', { name: 'COUNT', value: '1.5' }, /not an integer/],
    ['a port out of range', { name: 'HTTP_PORT', value: '70000' }, /not a port/],
    ['an option not offered', { name: 'MODE', value: 'z' }, /not one of a, b, c/],
    ['a type mismatch', { name: 'COUNT', type: 'Text', value: '1' }, /is a Number, not Text/],
    ['a missing value', { name: 'NOTE' }, /value is missing/],
    ['an object value', { name: 'NOTE', value: { a: 1 } }, /value/],
    ['a Binding to nothing', { name: 'db', type: 'Binding' }, /instance id as value, or tags/],
    ['a Binding to a non-id', { name: 'db', value: 'web' }, /not an instance id/],
    ['a Binding to an unknown instance', { name: 'db', value: 'i-zzzzzz' }, /instance i-zzzzzz not found/],
    ['a changed Box variable', { name: 'nested', value: newUuid() }, /Box variable cannot be changed/],
  ])('refuses %s with 400', async (_what, variable, message) => {
    refused(await withVars([variable]), 400, message);
  });

  it('refuses the same variable twice', async () => {
    refused(
      await withVars([
        { name: 'NOTE', value: 'a' },
        { name: 'NOTE', value: 'b', scope: null },
      ]),
      400,
      /given twice/,
    );
  });

  it('refuses a Binding to an instance of another workspace', async () => {
    const bobBox = await makeBox('bob');
    const theirs = await deploy(bobBox.id, {}, bob);
    refused(await withVars([{ name: 'db', value: theirs.body.id }]), 400, /not found/);
  });

  it('names required variables left without a value', async () => {
    const box = await makeBox('admin', {
      variables: [
        { name: 'PASSWORD', type: 'Password', value: '', required: true },
        { name: 'peer', type: 'Binding', value: 'AnyBox', required: true },
        { name: 'inner', type: 'Box', value: child.id },
      ],
    });
    refused(await deploy(box.id), 400, /Required variables have no value: PASSWORD, peer, inner.API_KEY/);
    const emptied = await deploy(rich.id, { box: { id: rich.id, variables: [{ name: 'HTTP_PORT', value: '' }] } });
    expect(emptied.status).toBe(400);
    const filled = await deploy(box.id, {
      box: {
        id: box.id,
        variables: [
          { name: 'PASSWORD', value: 's3cret' },
          { name: 'peer', tags: ['x'] },
          { name: 'API_KEY', value: 'k', scope: 'inner' },
        ],
      },
    });
    expect(filled.status).toBe(202);
  });
});

describe('policy selection', () => {
  it('refuses requirements no visible policy claims, naming them', async () => {
    const box = await makeBox('admin', { requirements: ['windows', 'linux'] });
    refused(await deploy(box.id), 400, /claims covering the box requirements: windows, linux/);
  });

  it("shares no policy or provider by default and prefers the owner's own policies", async () => {
    await createUser(t.server.db, { username: 'carol', email: 'carol@example.com', password: 'carol-password-1' });
    const carol = (await issueToken(t.server.db, 'carol', 'test')).value;
    const carolBox = await makeBox('carol');
    refused(await deploy(carolBox.id, {}, carol), 400, /No deployment policy available to you/);
    refused(await deploy(carolBox.id, { policy_box: { id: defaultPolicy } }, carol), 403, /no access to policy box/);
    const own = await makeBox('carol', {
      schema: `${SCHEMAS}boxes/policy`,
      claims: ['linux'],
      provider_id: localProvider,
      profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
    });
    refused(await deploy(carolBox.id, { policy_box: { id: own.id } }, carol), 403, /not shared with workspace carol/);
    refused(await deploy(carolBox.id, {}, carol), 400, /not shared with workspace carol/);

    const bobBox = await makeBox('bob');
    const shared = await deploy(bobBox.id, {}, bob);
    expect(shared.status).toBe(202);
    expect(shared.body.policy_box.name).toBe('Bob Local');

    const policy = await makeBox('bob', {
      schema: `${SCHEMAS}boxes/policy`,
      name: 'Bob GPU',
      claims: ['linux', 'gpu'],
      provider_id: localProvider,
      profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
    });
    const gpuBox = await makeBox('bob', { requirements: ['gpu'] });
    const gpu = await deploy(gpuBox.id, {}, bob);
    expect(gpu.status).toBe(202);
    expect(gpu.body.policy_box.id).toBe(policy.id);
    expect((await deploy(gpuBox.id, {}, undefined)).status).toBe(403);
  });

  it('checks an explicit policy_box', async () => {
    const asPolicy = (id: string, token?: string) => deploy(plain.id, { policy_box: { id } }, token);
    expect((await asPolicy(newUuid())).body.message).toMatch(/policy_box .* not found/);
    refused(await asPolicy(plain.id), 400, /not a policy box/);
    const bobPolicy = await makeBox('bob', { schema: `${SCHEMAS}boxes/policy`, claims: ['linux'] });
    expect((await asPolicy(bobPolicy.id)).status).toBe(403);
  });

  it('checks policy_box variables and applies them to the stored policy copy', async () => {
    const provider = (await t.call('GET', `/services/boxes/${defaultPolicy}`)).body.provider_id;
    const policy = await makeBox('admin', {
      schema: `${SCHEMAS}boxes/policy`,
      claims: ['linux'],
      provider_id: provider,
      variables: [
        { name: 'SIZE', type: 'Options', value: 'small', options: 'small,large' },
        { name: 'TAG', type: 'Text', value: 'x', required: true },
      ],
    });
    const using = (variables: unknown[]) => deploy(plain.id, { policy_box: { id: policy.id, variables } });
    refused(await using([{ name: 'NOPE', value: 'x' }]), 400, /policy_box.variables\[0\] NOPE: unknown variable/);
    refused(await using([{ name: 'TAG', value: '' }]), 400, /Required policy variables have no value: TAG/);
    const ok = await using([{ name: 'SIZE', value: 'large' }]);
    expect(ok.status).toBe(202);
    expect(ok.body.policy_box.variables[0]).toMatchObject({ name: 'SIZE', value: 'large', options: 'small,large' });
    expect(ok.body.variables).toEqual([]);
  });

  it('refuses a policy whose provider is missing or not ready', async () => {
    const aws = await t.call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}aws/provider`, type: 'Amazon Web Services', name: 'aws', key: 'AK', secret: 'SK' },
    });
    const cloud = await makeBox('admin', {
      schema: `${SCHEMAS}boxes/policy`,
      claims: ['aws'],
      provider_id: aws.body.id,
    });
    refused(await deploy(plain.id, { policy_box: { id: cloud.id } }), 400, /is unavailable, not ready/);
    const gone = await makeBox('admin', { schema: `${SCHEMAS}boxes/policy`, claims: ['x'], provider_id: newUuid() });
    refused(await deploy(plain.id, { policy_box: { id: gone.id } }), 400, /does not exist/);
    const awsBox = await makeBox('admin', { requirements: ['aws'] });
    refused(await deploy(awsBox.id), 400, /unavailable/);
  });
});

describe('POST /services/instances/dryrun', () => {
  it('validates and answers the would-be document without storing it', async () => {
    const before = (await t.call('GET', '/services/instances')).body.length;
    const res = await t.call('POST', '/services/instances/dryrun', {
      body: { schema: DEPLOY, name: 'Dry', box: { id: rich.id }, automatic_updates: 'off' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Dry', state: 'processing', operation: { event: 'deploy' } });
    expect((await t.call('GET', '/services/instances')).body.length).toBe(before);
    expect(await getInstance(t.server.db, res.body.id)).toBeUndefined();
    const bad = await t.call('POST', '/services/instances/dryrun', {
      body: { schema: DEPLOY, name: 'Dry', box: { id: rich.id, variables: [{ name: 'X', value: '1' }] } },
    });
    expect(bad.status).toBe(400);
  });
});

describe('GET /services/instances', () => {
  it('lists what the caller can access, filtered by ids', async () => {
    const a = (await deploy(plain.id)).body.id;
    const b = (await deploy(plain.id)).body.id;
    const mine = await t.call('GET', '/services/instances');
    expect(mine.status).toBe(200);
    expect(mine.body.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([a, b]));
    const some = await t.call('GET', `/services/instances?ids=${a},${b},`);
    expect(some.body.map((i: { id: string }) => i.id).sort()).toEqual([a, b].sort());
    const theirs = await t.call('GET', '/services/instances', { token: bob });
    expect(theirs.body.every((i: { owner: string }) => i.owner !== 'admin')).toBe(true);
    expect((await t.call('GET', '/services/instances', { token: null })).status).toBe(401);
  });

  it('answers 400 for a malformed id, 404 unknown, 403 another workspace', async () => {
    for (const id of ['i-ABCDEF', 'i-abc', 'x-abcdef', 'i-abcdefg']) {
      refused(await t.call('GET', `/services/instances/${id}`), 400, /inst/);
    }
    expect((await t.call('GET', '/services/instances/i-zzzzzz')).status).toBe(404);
    const mine = (await deploy(plain.id)).body.id;
    expect((await t.call('GET', `/services/instances/${mine}`, { token: bob })).status).toBe(403);
  });
});

describe('PUT /services/instances/:inst', () => {
  it('applies variables, tags, members, lease and automatic_updates from the full document', async () => {
    const created = (await deploy(rich.id)).body;
    const doc = (await t.call('GET', `/services/instances/${created.id}`)).body;
    const edited = {
      ...doc,
      name: 'renamed',
      state: 'done',
      variables: [{ name: 'NOTE', type: 'Text', value: 'changed', visibility: 'public', scope: '' }],
      tags: ['x', 'y'],
      members: [{ role: 'read', workspace: 'bob' }],
      lease: { expire: future(), operation: 'shutdown' },
      automatic_updates: 'patch',
    };
    const res = await t.call('PUT', `/services/instances/${doc.id}`, { body: edited });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: doc.name,
      state: 'processing',
      variables: [{ name: 'NOTE', type: 'Text', value: 'changed' }],
      tags: ['x', 'y'],
      members: [{ role: 'read', workspace: 'bob' }],
      lease: { operation: 'shutdown', released: false },
      automatic_updates: 'patch',
    });
    expect(res.body.updated).not.toBe(doc.updated);
    expect(res.body.updated).toMatch(TS);
    expect((await t.call('GET', `/services/instances/${doc.id}`)).body).toEqual(res.body);
    const cleared = await t.call('PUT', `/services/instances/${doc.id}`, { body: { ...res.body, lease: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.lease).toBeUndefined();
  });

  it('keeps an expired lease that is sent back unchanged', async () => {
    const created = (await deploy(plain.id)).body;
    const lease = { expire: '2015-01-01 00:00:00.000000', operation: 'terminate', released: true };
    await updateInstance(t.server.db, { ...created, lease });
    const res = await t.call('PUT', `/services/instances/${created.id}`, { body: { ...created, lease } });
    expect(res.status).toBe(200);
    expect(res.body.lease).toEqual(lease);
    const moved = { ...lease, expire: '2015-01-02 00:00:00.000000' };
    expect((await t.call('PUT', `/services/instances/${created.id}`, { body: { lease: moved } })).status).toBe(400);
  });

  it.each([
    ['an unknown variable', { variables: [{ name: 'NOPE', value: '1' }] }, /unknown variable/],
    ['a bad port', { variables: [{ name: 'HTTP_PORT', value: 'http' }] }, /not a port/],
    ['a required variable emptied', { variables: [{ name: 'HTTP_PORT', value: '' }] }, /HTTP_PORT/],
    ['a too long tag', { tags: ['t'.repeat(101)] }, /tags/],
    ['a non-string tag', { tags: [3] }, /tags/],
    ['a member workspace that does not exist', { members: [{ role: 'read', workspace: 'ghost' }] }, /ghost/],
    ['a bad member role', { members: [{ role: 'owner', workspace: 'bob' }] }, /members/],
    ['a lease in the past', { lease: { expire: '2001-01-01 00:00:00', operation: 'shutdown' } }, /future/],
    ['bad automatic_updates', { automatic_updates: 'on' }, /automatic_updates/],
    ['another id', { id: 'i-aaaaaa' }, /does not match/],
  ])('refuses %s with 400', async (_what, body, message) => {
    const created = (await deploy(rich.id)).body;
    refused(await t.call('PUT', `/services/instances/${created.id}`, { body }), 400, message);
  });

  it('answers 404, 403 and 400 as GET does', async () => {
    expect((await t.call('PUT', '/services/instances/i-zzzzzz', { body: {} })).status).toBe(404);
    expect((await t.call('PUT', '/services/instances/bad', { body: {} })).status).toBe(400);
    const mine = (await deploy(plain.id)).body.id;
    expect((await t.call('PUT', `/services/instances/${mine}`, { body: {}, token: bob })).status).toBe(403);
  });
});

describe('persistence', () => {
  it('keeps instances across a restart', async () => {
    const doc = (await deploy(rich.id, { name: 'Survivor' })).body;
    await t.restart();
    const res = await t.call('GET', `/services/instances/${doc.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(doc);
  });
});
