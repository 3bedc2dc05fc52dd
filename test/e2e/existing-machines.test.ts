/**
 * The `Existing Machines` provider: a deploy whose policy uses it takes a free registered machine
 * whose claims cover the policy's, runs the example box there through the installed agent (the
 * built program, run alone from a temp folder), and terminate runs dispose, removes the instance
 * folder and frees the machine, leaving the rest of the host alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startStandaloneAgent, until, type StandaloneAgent } from '../helpers/standalone-agent.js';
import { dataFiles } from '../../src/shared/paths.js';
import { ensureBuilt, runCli, serverEnv, tempHome } from '../cli/helpers.js';
import { deploy, importExample, settled } from './helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
let t: TestServer;
let agent: StandaloneAgent | undefined;
let helloWeb: string;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await agent?.stop();
  await t?.stop();
});

async function registeredAgent(claims: string[]): Promise<{ id: string; agent: StandaloneAgent }> {
  const e = (await t.call('POST', '/services/machines/enrollments', { body: { claims } })).body;
  const a = startStandaloneAgent(
    { url: t.url, ca_file: 'ca.pem' },
    { 'ca.pem': readFileSync(dataFiles(t.dataDir).caCert, 'utf8'), enrollment: `${e.token}\n` },
  );
  const m = await until(async () => {
    const list = (await t.call('GET', '/services/machines')).body as any[];
    return list.find((x) => x.state === 'online' && x.claims.join() === claims.join());
  }, `a registered machine online\n${a.log()}`);
  return { id: m.id, agent: a };
}

describe('Existing Machines provider', () => {
  it('deploys an example on a free registered machine and frees it at terminate', async () => {
    const registered = await registeredAgent(['linux', 'hostpool']);
    agent = registered.agent;
    const provider = await t.call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}existing/provider`, type: 'Existing Machines', name: 'pool' },
    });
    expect(provider.status, provider.text).toBe(202);
    expect(provider.body.state).toBe('ready');
    const policy = await t.call('POST', '/services/boxes', {
      body: {
        schema: `${SCHEMAS}boxes/policy`,
        name: 'Registered hosts',
        provider_id: provider.body.id,
        claims: ['linux', 'hostpool'],
        profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
      },
    });
    expect(policy.status, policy.text).toBe(200);
    const box = await importExample(t, 'Hello Web', new Map());
    helloWeb = box.id;
    const res = await deploy(t, box.id, 'on-a-registered-host', { policy_box: { id: policy.body.id } });
    expect(res.status, res.text).toBe(202);
    const done = await settled(t, res.body.id, undefined, 90_000);
    expect(done.state, JSON.stringify(done.operation)).toBe('done');

    const held = (await t.call('GET', `/services/machines/${registered.id}`)).body;
    expect(held).toMatchObject({ instance: res.body.id, state: 'online' });
    const folder = join(registered.agent.dir, 'work', res.body.id);
    expect(readFileSync(join(folder, 'www', 'index.html'), 'utf8')).toContain('Hello from ebcli');
    // Something else on the host, outside the instance folder, which terminate must leave alone.
    writeFileSync(join(registered.agent.dir, 'work', 'keep-me'), 'host data\n');
    // A removal is refused while the instance runs there.
    expect((await t.call('DELETE', `/services/machines/${registered.id}`)).status).toBe(409);

    const term = await t.call('DELETE', `/services/instances/${res.body.id}?operation=terminate`);
    expect(term.status, term.text).toBeLessThan(300);
    const ended = await until(async () => {
      const doc = (await t.call('GET', `/services/instances/${res.body.id}`)).body;
      return doc.state !== 'processing' ? doc : undefined;
    }, 'terminate');
    expect(ended).toMatchObject({ state: 'done', operation: { event: 'terminate_service' } });
    await until(() => !existsSync(folder), 'the instance folder removed');
    expect(readFileSync(join(registered.agent.dir, 'work', 'keep-me'), 'utf8')).toBe('host data\n');
    const freed = await until(async () => {
      const m = (await t.call('GET', `/services/machines/${registered.id}`)).body;
      return m.instance === null && m.state === 'online' ? m : undefined;
    }, 'the machine freed and back online');
    expect(freed.instance).toBeNull();
  }, 120_000);

  it('`ebcli deploy BOX -c hostpool` takes the freed machine through the policy that claims it', async () => {
    ensureBuilt();
    const home = tempHome();
    try {
      const env = { ...home.env, ...serverEnv(t) };
      const out = await runCli(['deploy', helloWeb, '-c', 'hostpool', '--name', 'by-claim', '--wait', '--json'], {
        env,
        timeoutMs: 90_000,
      });
      expect(out.code, out.stderr).toBe(0);
      const id = out.json()[0].id as string;
      expect(out.json()[0]).toMatchObject({ outcome: expect.not.stringMatching(/fail/) });
      const machines = (await t.call('GET', '/services/machines')).body as any[];
      expect(machines.find((m) => m.instance === id)?.claims).toEqual(['linux', 'hostpool']);
      const term = await runCli(['instances', 'terminate', id, '--yes', '--wait', '--json'], {
        env,
        timeoutMs: 90_000,
      });
      expect(term.code, term.stderr).toBe(0);
      await until(async () => {
        const list = (await t.call('GET', '/services/machines')).body as any[];
        return list.every((m) => m.instance === null);
      }, 'the machine freed');
    } finally {
      home.cleanup();
    }
  }, 120_000);

  it('refuses a deploy when no free registered machine has the claims', async () => {
    const providers = (await t.call('GET', '/services/providers')).body as any[];
    const pool = providers.find((p) => p.type === 'Existing Machines');
    const policy = await t.call('POST', '/services/boxes', {
      body: {
        schema: `${SCHEMAS}boxes/policy`,
        name: 'GPU hosts',
        provider_id: pool.id,
        claims: ['linux', 'gpu'],
        profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
      },
    });
    const res = await deploy(t, helloWeb, 'no-gpu-host', { policy_box: { id: policy.body.id } });
    expect(res.status, res.text).toBe(202);
    const done = await settled(t, res.body.id, undefined, 60_000);
    expect(done.state).toBe('unavailable');
    const activity = (await t.call('GET', `/services/instances/${res.body.id}/activity`)).text;
    expect(activity).toContain('no free registered machine with claims linux, gpu');
  }, 90_000);
});
