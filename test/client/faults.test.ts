import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  ConnectionError,
  EbClient,
  InternalServerError,
  RateLimitError,
  TimeoutError,
  retryAfterMs,
} from '../../src/client/index.js';

// MockAgent stands in for an outside server here: these are fault shapes (5xx, Retry-After,
// timeouts, resets) that the real control plane does not produce on demand.
const ORIGIN = 'https://cam.example.test';

describe('retries and timeouts (MockAgent)', () => {
  let agent: MockAgent;
  let client: EbClient;
  let pool: ReturnType<MockAgent['get']>;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    pool = agent.get(ORIGIN);
    client = new EbClient({ url: ORIGIN, token: 'tok', dispatcher: agent, maxRetries: 2, timeoutMs: 2000 });
  });

  afterEach(async () => {
    await agent.close();
  });

  const json = { headers: { 'content-type': 'application/json' } };

  it('retries a GET after a 503 and sends the CAM headers', async () => {
    let seen: Record<string, string> = {};
    pool.intercept({ path: '/services/workspaces', method: 'GET' }).reply(503, { message: 'busy' }, json);
    pool
      .intercept({ path: '/services/workspaces', method: 'GET' })
      .reply(200, (opts) => ((seen = opts.headers as Record<string, string>), [{ id: 'admin', name: 'admin' }]), json);
    const list = await client.workspaces.list();
    expect(list[0]?.id).toBe('admin');
    expect(seen['elasticbox-token']).toBe('tok');
    expect(seen['elasticbox-release']).toBe('4.0');
  });

  it('honours Retry-After on a 429', async () => {
    pool
      .intercept({ path: '/services/instances', method: 'GET' })
      .reply(429, { message: 'slow down' }, { headers: { ...json.headers, 'retry-after': '0' } });
    pool.intercept({ path: '/services/instances', method: 'GET' }).reply(200, [], json);
    expect(await client.instances.list()).toEqual([]);
  });

  it('gives up after the retries with the status error', async () => {
    pool.intercept({ path: '/services/boxes', method: 'GET' }).reply(500, { message: 'boom' }, json).times(3);
    const err = await client.boxes.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as InternalServerError).message).toBe('boom');
  });

  it('reads the error code and request id; a CAM server’s `{message}` gets the code of its status', async () => {
    const headers = { ...json.headers, 'x-request-id': 'req-1' };
    pool
      .intercept({ path: '/services/boxes/b1', method: 'GET' })
      .reply(409, { message: 'worded any way', code: 'agent_unreachable' }, { headers });
    const coded = (await client.boxes.retrieve('b1').catch((e: unknown) => e)) as ApiError;
    expect(coded).toMatchObject({ status: 409, code: 'agent_unreachable', requestId: 'req-1' });
    pool.intercept({ path: '/services/boxes/b2', method: 'GET' }).reply(404, { message: 'Box b2 not found' }, json);
    const cam = (await client.boxes.retrieve('b2').catch((e: unknown) => e)) as ApiError;
    expect(cam).toMatchObject({ status: 404, code: 'not_found', requestId: undefined });
    pool.intercept({ path: '/services/boxes/b3', method: 'GET' }).reply(403, { message: 'no', code: 'bogus' }, json);
    expect(await client.boxes.retrieve('b3').catch((e: unknown) => e)).toMatchObject({ code: 'forbidden' });
  });

  it('never retries a POST without an idempotency key', async () => {
    pool.intercept({ path: '/services/workspaces', method: 'POST' }).reply(503, { message: 'busy' }, json);
    pool.intercept({ path: '/services/workspaces', method: 'POST' }).reply(200, { id: 'x', name: 'x' }, json);
    await expect(client.workspaces.create({ name: 'x' })).rejects.toBeInstanceOf(InternalServerError);
  });

  it('retries a deploy (POST with Idempotency-Key) with the same key', async () => {
    const keys: string[] = [];
    const record = (opts: { headers?: unknown }) =>
      keys.push((opts.headers as Record<string, string>)['idempotency-key']!);
    pool.intercept({ path: '/services/instances', method: 'POST' }).reply(502, (opts) => (record(opts), 'bad gateway'));
    pool
      .intercept({ path: '/services/instances', method: 'POST' })
      .reply(202, (opts) => (record(opts), { id: 'i-abcdef', state: 'processing' }), json);
    const doc = await client.instances.deploy({ owner: 'admin', name: 'x', box: { id: 'b' } });
    expect(doc.id).toBe('i-abcdef');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('retries a reset connection and reports a persistent one as ConnectionError', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    pool.intercept({ path: '/services/providers', method: 'GET' }).replyWithError(reset);
    pool.intercept({ path: '/services/providers', method: 'GET' }).reply(200, [], json);
    expect(await client.providers.list()).toEqual([]);
    pool.intercept({ path: '/services/providers', method: 'GET' }).replyWithError(reset).times(3);
    await expect(client.providers.list()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('times out a slow answer with TimeoutError', async () => {
    const quick = new EbClient({ url: ORIGIN, dispatcher: agent, maxRetries: 0, timeoutMs: 50 });
    pool.intercept({ path: '/services/profile', method: 'GET' }).reply(200, {}, json).delay(1000);
    await expect(quick.profile.retrieve()).rejects.toBeInstanceOf(TimeoutError);
  });

  it('reads Retry-After as seconds or a date, ignoring unusable values', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('3600', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(new RateLimitError({ status: 429, message: 'x', method: 'GET', path: '/' }).status).toBe(429);
  });
});
