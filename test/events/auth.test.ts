import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { upsertMachine } from '../../src/server/workflows/store/machines.js';
import { upgradeStatus } from './tail-helpers.js';

let t: TestServer;
let bob: string;
const machineToken = 'machine-token-for-a1-test-0123456789abcdef';
beforeAll(async () => {
  t = await startTestServer();
  bob = await addUser(t, 'bob');
  // An agent's credential exists only as a machine token; it must not open a user's tail.
  await upsertMachine(t.server.db, {
    name: 'm-a1',
    instanceId: 'i-a1a1a1',
    workspace: 'admin',
    serviceId: 'eb-a1a1a',
    providerId: 'p',
    token: machineToken,
    address: { public: '127.0.0.1', private: '127.0.0.1' },
  });
});
afterAll(async () => t.stop());

describe('A1 ws-upgrade-auth on /services/events', () => {
  it('refuses upgrades without a valid user credential with 401, before any 101', async () => {
    expect(await upgradeStatus(t, '', {})).toBe(401);
    expect(await upgradeStatus(t, '', { 'elasticbox-token': 'not-a-token' })).toBe(401);
    expect(await upgradeStatus(t, '', { authorization: 'Bearer not-a-token' })).toBe(401);
    expect(await upgradeStatus(t, '', { authorization: `Bearer ${machineToken}` })).toBe(401);
    expect(await upgradeStatus(t, '', { 'elasticbox-token': machineToken })).toBe(401);
  });

  it('refuses a workspace the user is not a member of with 403, before any 101', async () => {
    expect(await upgradeStatus(t, 'workspace=admin', { 'elasticbox-token': bob })).toBe(403);
    expect(await upgradeStatus(t, 'workspace=nowhere', { 'elasticbox-token': bob })).toBe(403);
    expect(await upgradeStatus(t, 'workspace=bob', { 'elasticbox-token': bob })).toBe(101);
    expect(await upgradeStatus(t, '', { authorization: `Bearer ${bob}` })).toBe(101);
  });

  it('never takes a token from the query string, and validates parameters before the upgrade', async () => {
    expect(await upgradeStatus(t, `token=${bob}`, {})).toBe(401);
    expect(await upgradeStatus(t, `access_token=${bob}`, { 'elasticbox-token': bob })).toBe(400);
    expect(await upgradeStatus(t, 'since=-1', { 'elasticbox-token': bob })).toBe(400);
    expect(await upgradeStatus(t, 'since_time=yesterday', { 'elasticbox-token': bob })).toBe(400);
  });

  it('applies the same rules to the HTTP history read', async () => {
    expect((await t.call('GET', '/services/events', { token: null })).status).toBe(401);
    expect((await t.call('GET', '/services/events', { token: machineToken })).status).toBe(401);
    expect((await t.call('GET', '/services/events?workspace=admin', { token: bob })).status).toBe(403);
    const own = await t.call('GET', '/services/events', { token: bob });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ events: [], head: 0, first: 1, epoch: null, cursor: 0 });
  });
});
