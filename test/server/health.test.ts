import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
});
afterAll(async () => t.stop());

describe('health and release header', () => {
  it('answers health without a token and carries ElasticBox-Release', async () => {
    const res = await t.call('GET', '/services/health', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.headers['elasticbox-release']).toBe('4.0');
  });

  it('answers unknown endpoints 404 with a message', async () => {
    const res = await t.call('GET', '/services/nope');
    expect(res.status).toBe(404);
    expect(res.body.message).toMatch(/No such endpoint/);
    expect(res.headers['elasticbox-release']).toBe('4.0');
  });
});
