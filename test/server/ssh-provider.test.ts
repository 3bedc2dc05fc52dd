/**
 * The `SSH` provider's fields (src/server/machines/ssh/provider-fields.ts) through the real routes: lists
 * and flags given as JSON or as the strings `--field` sends are stored normalized; bad hosts,
 * fingerprints and keys are 400s that never echo the key; the key is kept apart and never served.
 * (Deploying onto a real sshd is test/e2e/host-a-ssh.test.ts.)
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProviderSecrets } from '../../src/server/providers/store.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
const KEY = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;
const FP = `SHA256:${'b'.repeat(43)}`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

const create = (name: string, fields: Record<string, unknown>) =>
  t.call('POST', '/services/providers', {
    body: { schema: `${SCHEMAS}ssh/provider`, type: 'SSH', name, username: 'deploy', private_key: KEY, ...fields },
  });

describe('SSH providers', () => {
  it('stays ready when synced (every provider type this server deploys with comes from one list)', async () => {
    const res = await create('syncable', { hosts: '10.0.0.9' });
    expect(res.body.state).toBe('ready');
    const synced = await t.call('PUT', `/services/providers/${res.body.id}/sync`);
    expect(synced.status).toBe(202);
    expect(synced.body.state).toBe('ready');
  });

  it('stores hosts, flags and fingerprints normalized; the key is a secret', async () => {
    const res = await create('lab', {
      hosts: '10.0.0.5, 10.0.0.6:2222,[fd00::7]:22',
      sudo: 'true',
      fingerprints: `10.0.0.5=${FP},10.0.0.6:2222=${FP}`,
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({
      type: 'SSH',
      state: 'ready',
      hosts: ['10.0.0.5:22', '10.0.0.6:2222', '[fd00::7]:22'],
      username: 'deploy',
      sudo: true,
      fingerprints: { '10.0.0.5:22': FP, '10.0.0.6:2222': FP },
    });
    expect(res.text).not.toContain('PRIVATE KEY');
    const shown = await t.call('GET', `/services/providers/${res.body.id}`);
    expect(shown.text).not.toContain('PRIVATE KEY');
    expect(shown.body.private_key).toBeUndefined();
    expect((await getProviderSecrets(t.server.db, res.body.id)).private_key).toBe(KEY);
  });

  it.each([
    [{ hosts: 'a:99999' }, 'port must be 1-65535'],
    [{ hosts: 'a,a:22' }, 'hosts names a host twice'],
    [{ hosts: ['ok'], fingerprints: 'ok=MD5:aa' }, 'is not host[:port]=SHA256'],
    [{ hosts: ['ok'], fingerprints: { ok: 'SHA256:short' } }, 'must be SHA256:<43 base64 characters>'],
    [{ hosts: ['ok'], sudo: 'maybe' }, 'sudo must be true or false'],
    [{ hosts: ['ok'], private_key: 'not a key' }, 'private_key is not a private key'],
    [{ hosts: ['ok'], username: 'bad user' }, 'username must be'],
    [{}, 'SSH providers need hosts'],
  ])('refuses %j with a clear 400', async (fields, message) => {
    const res = await create(`bad-${Math.random().toString(36).slice(2, 8)}`, fields);
    expect(res.status, res.text).toBe(400);
    expect(res.body.message).toContain(message);
    expect(res.text).not.toContain('PRIVATE KEY');
  });
});
