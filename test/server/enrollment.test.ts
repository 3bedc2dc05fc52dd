/**
 * quality.md A4 for machines anywhere: one-time, expiring enrollment tokens kept hashed; a
 * credential per machine kept hashed; ids assigned by the server; reuse, expiry, forgery and
 * brute force refused; a machine enrolled after a removal sees nothing of the removed one. The
 * agent is the built program (dist/agent-bundle/ebcli-agent.mjs) run alone from a temp folder.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startStandaloneAgent, until, type StandaloneAgent } from '../helpers/standalone-agent.js';
import { AGENT_PATH } from '../../src/shared/protocol.js';
import { dataFiles } from '../../src/shared/paths.js';

let t: TestServer;
const agents: StandaloneAgent[] = [];
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  t = await startTestServer(undefined, { authLimits: { enrollPerAddress: { max: 8, windowMs: 60_000 } } });
});
afterAll(async () => {
  for (const a of agents) await a.stop();
  await t?.stop();
});

const mint = async (body: Record<string, unknown> = {}) => {
  const res = await t.call('POST', '/services/machines/enrollments', { body });
  expect(res.status, res.text).toBe(201);
  return res.body as { token: string; command: string; user_command: string; expires: string; bootstrap_url: string };
};
const enroll = (token: string) =>
  t.call('POST', '/services/agent/enroll', { token: null, body: { token, hostname: 'host-b' } });

/** Opens the agent channel with `credential` and says hello as `machine`; resolves with the close. */
function helloAs(credential: string, machine: string): Promise<{ status?: number; code?: number; reason?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}${AGENT_PATH}`, {
      ca: t.server.ca,
      headers: { authorization: `Bearer ${credential}` },
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, machine, agentVersion: 't', pending: [], running: [] })),
    );
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
    ws.on('error', () => undefined);
  });
}

describe('A4 enrollment', () => {
  let first: { machine: string; token: string };

  it('mints a one-time token kept only as its hash, with a one-line command that carries no secret in the URL', async () => {
    const e = await mint({ claims: ['linux', 'web'], expires_in: 600 });
    expect(e.token).toMatch(/^eb_/);
    expect(e.bootstrap_url).toBe(`${t.server.publicUrl}/services/agent/bootstrap.sh`);
    expect(e.bootstrap_url).not.toContain(e.token);
    expect(e.command).toContain(`EBCLI_ENROLL_TOKEN='${e.token}' sh`);
    expect(e.command).toMatch(/--pinnedpubkey 'sha256\/\/[A-Za-z0-9+/=]+'/);
    const rows = await t.server.db.selectFrom('enrollment_tokens').selectAll().execute();
    expect(rows.map((r) => r.token_hash)).toContain(sha256(e.token));
    expect(JSON.stringify(rows)).not.toContain(e.token);

    const res = await enroll(e.token);
    expect(res.status, res.text).toBe(200);
    first = res.body;
    expect(first.machine).toMatch(/^rm-[0-9a-f]{10}$/);
    const m = await t.server.db.selectFrom('registered_machines').selectAll().executeTakeFirstOrThrow();
    expect(m).toMatchObject({ id: first.machine, token_hash: sha256(first.token), claims: '["linux","web"]' });
    expect(JSON.stringify(m)).not.toContain(first.token);
  });

  it('refuses a reused token, an expired token and a forged one, with one answer', async () => {
    const e = await mint();
    expect((await enroll(e.token)).status).toBe(200);
    const reused = await enroll(e.token);
    expect(reused.status).toBe(401);
    expect(reused.body.message).toBe('Invalid, used or expired enrollment token');

    const old = await mint({ expires_in: 60 });
    // Expiry without waiting: the stored deadline moves into the past.
    await t.server.db
      .updateTable('enrollment_tokens')
      .set({ expires: '2000-01-01 00:00:00.000000' })
      .where('token_hash', '=', sha256(old.token))
      .execute();
    const expired = await enroll(old.token);
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe(reused.body.message);

    const forged = await enroll(`eb_${'A'.repeat(43)}`);
    expect(forged.status).toBe(401);
    expect(forged.body.message).toBe(reused.body.message);
    // Exactly the two good trades made machines.
    expect((await t.call('GET', '/services/machines')).body).toHaveLength(2);
  });

  it('the built agent, alone in a folder, enrols once, connects, and shows online with its last-seen time', async () => {
    const e = await mint({ claims: ['linux'] });
    const agent = startStandaloneAgent(
      { url: t.url, ca_file: 'ca.pem' },
      { 'ca.pem': readFileSync(dataFiles(t.dataDir).caCert, 'utf8'), enrollment: `${e.token}\n` },
    );
    agents.push(agent);
    const credential = await until(() => {
      try {
        return JSON.parse(readFileSync(join(agent.dir, 'credential'), 'utf8')) as { machine: string; token: string };
      } catch {
        return undefined;
      }
    }, `the agent's credential\n${agent.log()}`);
    const online = await until(async () => {
      const list = (await t.call('GET', '/services/machines')).body as any[];
      return list.find((m) => m.id === credential.machine && m.state === 'online');
    }, 'the machine online');
    expect(online).toMatchObject({ hostname: expect.any(String), claims: ['linux'], agent_version: '1.0.0' });
    expect(online.last_seen).toMatch(/^\d{4}-\d{2}-\d{2} /);
    expect(() => readFileSync(join(agent.dir, 'enrollment'))).toThrow(/ENOENT/);
    expect((readFileSync(join(agent.dir, 'agent.log'), 'utf8').match(/"enrolled"/g) ?? []).length).toBe(1);
    expect(agent.log()).not.toContain(e.token);
    expect(agent.log()).not.toContain(credential.token);
    const events = (await t.call('GET', '/services/events?since=0&limit=1000')).body;
    expect(JSON.stringify(events)).toContain(credential.machine);
    await agent.stop();
    await until(
      async () => (await t.call('GET', `/services/machines/${credential.machine}`)).body.state === 'offline',
      'the machine offline',
    );
  }, 60_000);

  it('refuses a credential saying hello as another machine (forged machine id)', async () => {
    const a = (await enroll((await mint()).token)).body;
    const b = (await enroll((await mint()).token)).body;
    const forged = await helloAs(a.token, b.machine);
    expect(forged).toMatchObject({ code: 1008, reason: 'hello names another machine' });
    expect(await helloAs(`eb_${'B'.repeat(43)}`, a.machine)).toEqual({ status: 401 });
  });

  it('a removed machine is refused at once, and the next enrollment gets a new id and nothing of it', async () => {
    const removed = await t.call('DELETE', `/services/machines/${first.machine}`);
    expect(removed.status, removed.text).toBe(204);
    expect(await helloAs(first.token, first.machine)).toEqual({ status: 401 });
    expect((await t.call('GET', `/services/machines/${first.machine}`)).status).toBe(404);
    const again = (await enroll((await mint({ claims: ['linux', 'web'] })).token)).body;
    expect(again.machine).not.toBe(first.machine);
    expect(again.token).not.toBe(first.token);
    const list = (await t.call('GET', '/services/machines')).body as any[];
    expect(list.map((m) => m.id)).not.toContain(first.machine);
    // The new machine may not speak as the removed one.
    expect(await helloAs(again.token, first.machine)).toMatchObject({ code: 1008 });
  });

  it('rate-limits refused enrollments per address (429 with Retry-After), even for a good token', async () => {
    const good = await mint();
    let last;
    for (let i = 0; i < 10; i++) last = await enroll(`eb_forged-${i}-${'x'.repeat(30)}`);
    expect(last?.status).toBe(429);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect((await enroll(good.token)).status).toBe(429);
  });
});
