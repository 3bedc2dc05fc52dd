/**
 * The Watcher on a registered machine (issue 11's enrolled hosts): the installed agent program,
 * run alone from a temp folder with an enrollment token as the bootstrap leaves it, starts the
 * Watcher beside the agent. The Watcher enrolls with the host's machine credential (its own key
 * pair and password), reports for the deploy that holds the host (here a built-in check the
 * instance's tag selects); a frozen host opens the keepalive alert of the deploy's machine, which
 * resolves when it runs again; the Watcher is refused once the host is removed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startStandaloneAgent, type StandaloneAgent } from '../helpers/standalone-agent.js';
import { ensureBuilt } from '../cli/helpers.js';
import { createBox, deploy, settled } from '../e2e/helpers.js';
import { dataFiles } from '../../src/shared/paths.js';
import { WATCHER_PATH } from '../../src/shared/monitoring/watcher-protocol.js';
import { createCheck, eventsOf } from './helpers.js';
import { fastMonitoring, until } from './watcher-helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
let t: TestServer;
let agent: StandaloneAgent | undefined;

beforeAll(async () => {
  ensureBuilt();
  fastMonitoring();
  t = await startTestServer();
});
afterAll(async () => {
  await agent?.stop();
  await t?.stop();
});

/** Opens the Watcher channel with these credentials: the HTTP status of a refused upgrade, or 101. */
function upgradeStatus(username: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}${WATCHER_PATH}`, {
      ca: t.server.ca,
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
  });
}

describe('Watcher on a registered machine', () => {
  it(
    'enrolls beside the installed agent and reports the checks of the deploy that holds the host',
    { timeout: 150_000 },
    async () => {
      await createCheck(t, { name: 'host-cpu', builtin: { type: 'cpu' }, interval: 1, target: { tags: ['on-host'] } });
      const e = (await t.call('POST', '/services/machines/enrollments', { body: { claims: ['linux', 'watched'] } }))
        .body;
      agent = startStandaloneAgent(
        { url: t.url, ca_file: 'ca.pem' },
        { 'ca.pem': readFileSync(dataFiles(t.dataDir).caCert, 'utf8'), enrollment: `${e.token}\n` },
      );
      const host = await until(
        async () => ((await t.call('GET', '/services/machines')).body as any[]).find((m) => m.state === 'online'),
        60_000,
        `the registered machine online\n${agent.log()}`,
      );
      // Its Watcher enrolled under the host, with its own credentials, and is connected.
      const enrolled = await until(
        async () =>
          (await t.server.db.selectFrom('watchers').selectAll().where('machine', '=', host.id).executeTakeFirst())
            ?.last_seen ?? undefined,
        60_000,
        `the host's Watcher connected\n${agent.log()}`,
      );
      expect(enrolled).toBeGreaterThan(0);
      const identity = JSON.parse(readFileSync(join(agent.dir, 'state', 'watcher', 'identity.json'), 'utf8'));
      expect(identity).toMatchObject({ machine: host.id, username: expect.stringMatching(/^watcher-rm-/) });

      const provider = await t.call('POST', '/services/providers', {
        body: { schema: `${SCHEMAS}existing/provider`, type: 'Existing Machines', name: 'pool' },
      });
      expect(provider.status, provider.text).toBe(202);
      const policy = await t.call('POST', '/services/boxes', {
        body: {
          schema: `${SCHEMAS}boxes/policy`,
          name: 'Watched hosts',
          provider_id: provider.body.id,
          claims: ['linux', 'watched'],
          profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
        },
      });
      expect(policy.status, policy.text).toBe(200);
      const box = await createBox(t, { name: 'OnHost', events: { install: 'echo installed' } });
      const res = await deploy(t, box.id, 'on-a-watched-host', {
        policy_box: { id: policy.body.id },
        instance_tags: ['on-host'],
      });
      expect(res.status, res.text).toBe(202);
      const done = await settled(t, res.body.id, undefined, 90_000);
      expect(done.state, JSON.stringify(done.operation)).toBe('done');
      const machine = done.service.machines[0].name;

      const state = await until(
        async () =>
          ((await t.call('GET', `/services/msa/results?instance=${done.id}`)).body as any[]).find(
            (s) => s.check === 'host-cpu',
          ),
        60_000,
        `a result from the host's Watcher\n${agent.log()}`,
      );
      expect(state).toMatchObject({ machine, instance: done.id, status: 'ok' });
      expect(state.output).toMatch(/^CPU OK: [0-9.]+% used/);
      const row = await t.server.db
        .selectFrom('watchers')
        .selectAll()
        .where('machine', '=', host.id)
        .executeTakeFirstOrThrow();
      expect(row.accepted).toBeGreaterThan(0);
      expect(row.rejected).toBe(0);

      // The host stops answering (agent and Watcher frozen): the keepalive alert opens for the
      // deploy's machine; it resolves when the host runs again.
      agent.child.kill('SIGSTOP');
      let opened: any;
      try {
        opened = await until(
          async () =>
            (await eventsOf(t, ['alert.open'])).find((a) => a.data.check === 'keepalive' && a.data.machine === machine),
          30_000,
          'the keepalive alert',
        );
      } finally {
        agent.child.kill('SIGCONT');
      }
      expect(opened.data).toMatchObject({ status: 'critical', machine });
      await until(
        async () => (await eventsOf(t, ['alert.resolve'])).find((a) => a.data.alert === opened.data.alert),
        30_000,
        'the keepalive alert resolved',
      );

      // Terminated and the host removed: its Watcher's credentials are refused.
      const term = await t.call('DELETE', `/services/instances/${done.id}?operation=terminate`);
      expect(term.status, term.text).toBeLessThan(300);
      await until(
        async () => ((await t.call('GET', `/services/machines/${host.id}`)).body.instance === null ? true : undefined),
        60_000,
        'the host freed',
      );
      expect(await upgradeStatus(identity.username, identity.password)).toBe(101);
      expect((await t.call('DELETE', `/services/machines/${host.id}`)).status).toBeLessThan(300);
      expect(await upgradeStatus(identity.username, identity.password)).toBe(401);
    },
  );
});
