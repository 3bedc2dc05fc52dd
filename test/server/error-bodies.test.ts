import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { ErrorBody, REQUEST_ID_HEADER } from '../../src/shared/errors.js';
import { seedInstance } from '../cli/helpers.js';
import { addUser } from '../helpers/users.js';
import { startTestServer, type Reply, type TestServer } from '../helpers/server.js';

// Error bodies are `{message, code}` with a stable code, and every response names its request.
describe('machine-readable errors', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(undefined, { inject: true });
  });
  afterAll(async () => {
    await t.stop();
  });

  const expectError = (res: Reply, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(Value.Check(ErrorBody, res.body)).toBe(true);
    expect(res.body.code).toBe(code);
    expect(res.headers[REQUEST_ID_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
  };

  it('codes by kind of failure: invalid, unauthenticated, forbidden, not_found, already_exists, conflict', async () => {
    expectError(await t.call('POST', '/services/workspaces', { body: { bogus: 1 } }), 400, 'invalid');
    expectError(await t.call('GET', '/services/workspaces', { token: 'not-a-token' }), 401, 'unauthenticated');
    const other = await addUser(t, 'eve');
    expectError(await t.call('GET', '/services/workspaces/admin', { token: other }), 403, 'forbidden');
    expectError(await t.call('GET', '/services/instances/i-nosuch'), 404, 'not_found');
    expectError(await t.call('GET', '/services/no-such-endpoint'), 404, 'not_found');
    const ws = { name: 'Clash Team' };
    const first = await t.call('POST', '/services/workspaces', { body: ws });
    expect(first.status).toBe(200);
    expectError(await t.call('POST', '/services/workspaces', { body: ws }), 409, 'already_exists');
    await seedInstance(t, { owner: first.body.id });
    expectError(await t.call('DELETE', `/services/workspaces/${first.body.id}`), 409, 'conflict');
  });

  it('every response carries a request id; a plain one given by the caller is kept, anything else replaced', async () => {
    const ok = await t.call('GET', '/services/workspaces');
    expect(ok.status).toBe(200);
    expect(ok.headers[REQUEST_ID_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
    const again = await t.call('GET', '/services/workspaces');
    expect(again.headers[REQUEST_ID_HEADER]).not.toBe(ok.headers[REQUEST_ID_HEADER]);
    const given = await t.call('GET', '/services/workspaces', { headers: { [REQUEST_ID_HEADER]: 'trace-42.a' } });
    expect(given.headers[REQUEST_ID_HEADER]).toBe('trace-42.a');
    const odd = await t.call('GET', '/services/workspaces', { headers: { [REQUEST_ID_HEADER]: 'x y<z>' } });
    expect(odd.headers[REQUEST_ID_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
