/**
 * Scripts across replicas (issue 13): two control planes on one PostgreSQL database. Replica A runs
 * every workflow; replica B runs none (workflow concurrency 0) but holds the agent's only
 * connection: a registered machine enrolled through B, whose agent was never told A's address.
 * A deploy accepted by A runs its scripts on that machine through B (remote-dispatch.ts) and ends
 * `done`, the script's output and result stored once; terminate goes the same way. Runs on every
 * test run, on a PostgreSQL cluster of its own when the run is on SQLite.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { dataFiles } from '../../src/shared/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startStandaloneAgent, until, type StandaloneAgent } from '../helpers/standalone-agent.js';
import { freshPostgresDatabase, stopOwnCluster } from '../helpers/store.js';
import { ensureBuilt } from '../cli/helpers.js';
import { deploy, importExample, settled } from './helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
let a: TestServer;
let b: RunningServer | undefined;
let agent: StandaloneAgent | undefined;
const dirB = mkdtempSync(join(tmpdir(), 'ebcli-replica-b-'));

beforeAll(async () => {
  ensureBuilt();
  const database = await freshPostgresDatabase();
  a = await startTestServer(undefined, { database });
  // Replicas share the CA (as a team copies it to each): agents trust every replica alike.
  mkdirSync(join(dirB, 'tls'), { recursive: true });
  for (const f of ['caCert', 'caKey'] as const) copyFileSync(dataFiles(a.dataDir)[f], dataFiles(dirB)[f]);
  b = await startServer({ dataDir: dirB, port: 0, database, tunables: { concurrency: 0 } });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await b?.close();
  await a?.stop();
  rmSync(dirB, { recursive: true, force: true });
  stopOwnCluster();
});

describe('two replicas on one PostgreSQL database', () => {
  it('runs the scripts of a workflow on replica A on a machine whose agent is connected to replica B', async () => {
    const enrollment = (
      await a.call('POST', '/services/machines/enrollments', { body: { claims: ['linux', 'via-b'] } })
    ).body;
    agent = startStandaloneAgent(
      { url: b!.url, ca_file: 'ca.pem' },
      { 'ca.pem': readFileSync(dataFiles(a.dataDir).caCert, 'utf8'), enrollment: `${enrollment.token}\n` },
    );
    const machine = await until(async () => {
      const list = (await a.call('GET', '/services/machines')).body as any[];
      return list.find((m) => m.state === 'online' && m.claims.includes('via-b'));
    }, `the machine online through replica B\n${agent.log()}`);

    const provider = await a.call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}existing/provider`, type: 'Existing Machines', name: 'hosts' },
    });
    expect(provider.status, provider.text).toBe(202);
    const policy = await a.call('POST', '/services/boxes', {
      body: {
        schema: `${SCHEMAS}boxes/policy`,
        name: 'Hosts via B',
        provider_id: provider.body.id,
        claims: ['linux', 'via-b'],
        profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
      },
    });
    expect(policy.status, policy.text).toBe(200);
    const box = await importExample(a, 'Hello Web', new Map());
    const res = await deploy(a, box.id, 'across-replicas', { policy_box: { id: policy.body.id } });
    expect(res.status, res.text).toBe(202);
    const done = await settled(a, res.body.id, undefined, 90_000).catch(async (err) => {
      const activity = (await a.call('GET', `/services/instances/${res.body.id}/activity`)).text;
      throw new Error(`${err.message}\nactivity: ${activity}\nagent: ${agent!.log().slice(-3000)}`);
    });
    expect(done.state, JSON.stringify(done.operation)).toBe('done');
    const folder = join(agent.dir, 'work', res.body.id);
    expect(readFileSync(join(folder, 'www', 'index.html'), 'utf8')).toContain('Hello from ebcli');

    // Every script ran once, with one stored result each (no second `execute` on the connection).
    const history = await a.call('GET', '/services/events?workspace=admin&since=0&type=script.finish&limit=1000');
    const scripts = (history.body.events as any[]).filter((e) => e.instance === res.body.id);
    const finished = scripts.map((e) => `${e.data.event}:${e.data.status}`);
    expect(finished.length).toBeGreaterThan(0);
    expect(
      finished.every((f) => f.endsWith(':success')),
      finished.join(),
    ).toBe(true);
    expect(new Set(scripts.map((e) => e.data.executionId)).size).toBe(finished.length);

    const term = await a.call('DELETE', `/services/instances/${res.body.id}?operation=terminate`);
    expect(term.status, term.text).toBeLessThan(300);
    const ended = await until(
      async () => {
        const doc = (await a.call('GET', `/services/instances/${res.body.id}`)).body;
        return doc.state !== 'processing' ? doc : undefined;
      },
      'terminate',
      60_000,
    );
    expect(ended).toMatchObject({ state: 'done', operation: { event: 'terminate_service' } });
    await until(() => !existsSync(folder), 'the instance folder removed');
    expect(machine.id).toBeTruthy();
  }, 150_000);
});
