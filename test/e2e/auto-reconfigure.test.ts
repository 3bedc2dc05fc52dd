import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  activityTexts,
  createBox,
  deploy,
  fastTunables,
  killAgents,
  restartSamePort,
  settled,
  workdir,
} from './helpers.js';

let t: TestServer;
let service: any;
let dependent: any;

beforeAll(async () => {
  fastTunables();
  t = await startTestServer();
  service = await createBox(t, {
    name: 'Svc',
    variables: [{ name: 'COLOR', type: 'Text', value: 'red', visibility: 'public' }],
  });
  // Each configure appends the instances bound through `svc`, then sleeps SLEEP seconds.
  dependent = await createBox(t, {
    name: 'Dep',
    variables: [
      { name: 'svc', type: 'Binding', value: 'AnyBox' },
      { name: 'SLEEP', type: 'Text', value: '0' },
    ],
    events: {
      configure:
        '#!/bin/bash\necho "configure:{% for i in svc %} {{ i.instance }}{% endfor %}" >> runs.log\nsleep {{ SLEEP }}\n',
    },
  });
});
afterAll(async () => {
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reconfigures queued behind a busy dependent (the table the finishing transaction empties). */
const queued = () => t.server.db.selectFrom('pending_reconfigures').select('instance_id').execute();

const ops = async (id: string): Promise<string[][]> =>
  (await t.call('GET', `/services/instances/${id}/operations`)).body.map((o: any) => [o.operation, o.username]);

/** Waits until the instance has `count` operations and the last one has ended. */
async function opsSettled(id: string, count: number, timeoutMs = 30_000): Promise<string[][]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await t.call('GET', `/services/instances/${id}/operations`)).body;
    if (list.length >= count && list.every((o: any) => o.state === 'done' || o.state === 'failed')) {
      return list.map((o: any) => [o.operation, o.username]);
    }
    if (Date.now() > deadline) throw new Error(`instance ${id}: ${list.length} operations, wanted ${count} ended`);
    await sleep(100);
  }
}

/** The `configure:` lines the dependent's scripts wrote, each with its bound instances sorted. */
function runs(doc: any): string[] {
  const file = join(workdir(t.dataDir, `${doc.name.toLowerCase()}-${doc.service.id}-1`, doc.id), 'runs.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => ['configure:', ...l.slice('configure:'.length).trim().split(' ').filter(Boolean).sort()].join(' '));
}

async function deployed(box: any, name: string, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await deploy(t, box.id, name, extra);
  expect(res.status).toBe(202);
  const doc = await settled(t, res.body.id, res.body.updated);
  expect(doc.state).toBe('done');
  return doc;
}

const bindTo = (tags: string[], sleepSeconds = '0') => ({
  box: {
    id: dependent.id,
    variables: [
      { name: 'svc', type: 'Binding', tags },
      { name: 'SLEEP', type: 'Text', value: sleepSeconds },
    ],
  },
});

async function put(id: string, change: Record<string, unknown>): Promise<any> {
  const doc = (await t.call('GET', `/services/instances/${id}`)).body;
  const res = await t.call('PUT', `/services/instances/${id}`, { body: { ...doc, ...change } });
  expect(res.status).toBe(200);
  return res.body;
}

describe('automatic reconfiguration (cam-api.md §4.3)', () => {
  it(
    'follows deploys, tag changes and terminates of bound instances, but not variable changes',
    { timeout: 90_000 },
    async () => {
      const dep = await deployed(dependent, 'Dep', bindTo(['web']));
      expect(runs(dep)).toEqual(['configure:']);
      expect((await t.call('GET', `/services/instances/${dep.id}/bindings`)).body).toEqual([
        { name: 'svc', scope: '', instances: [] },
      ]);

      // A deploy that joins the binding.
      const target = await deployed(service, 'Target', { instance_tags: ['web'] });
      expect(await opsSettled(dep.id, 2)).toEqual([
        ['deploy', 'admin'],
        ['reconfigure', 'automatic'],
      ]);
      expect(runs(dep)).toEqual(['configure:', `configure: ${target.id}`]);
      const expected = [{ name: 'svc', scope: '', instances: [target.id] }];
      expect((await t.call('GET', `/services/instances/${dep.id}/bindings`)).body).toEqual(expected);
      expect((await t.call('GET', `/services/instances/${dep.id}/binding_instances`)).body).toEqual(expected);
      expect((await t.call('GET', `/services/instances/${target.id}/bindings`)).body).toEqual([]);
      expect((await activityTexts(t, dep.id, 'reconfigure')).join('\n')).toContain(
        `Automatic reconfiguration: instance ${target.id} joined its bindings.`,
      );

      // Variables (as `elasticbox set` or the lifecycle editor change them) do not reconfigure.
      // Whether an update reconfigures its dependents is decided in the update's own transaction
      // (instances/routes.ts: membershipChanged starts or queues the reconfigure), so once the
      // answer is back, nothing started and nothing queued means none will run.
      await put(target.id, { variables: [{ name: 'COLOR', type: 'Text', value: 'blue' }] });
      expect(await ops(dep.id)).toHaveLength(2);
      expect(await queued()).toEqual([]);

      // Tags removed, then added back: each change reconfigures once.
      await put(target.id, { tags: [] });
      expect(await opsSettled(dep.id, 3)).toHaveLength(3);
      expect(runs(dep).at(-1)).toBe('configure:');
      await put(target.id, { tags: ['web', 'extra'] });
      expect(await opsSettled(dep.id, 4)).toHaveLength(4);
      expect(runs(dep).at(-1)).toBe(`configure: ${target.id}`);

      // A terminate of the bound instance.
      const gone = await t.call('DELETE', `/services/instances/${target.id}?operation=terminate`);
      expect(gone.status).toBe(202);
      await settled(t, target.id);
      expect(await opsSettled(dep.id, 5)).toEqual([
        ['deploy', 'admin'],
        ['reconfigure', 'automatic'],
        ['reconfigure', 'automatic'],
        ['reconfigure', 'automatic'],
        ['reconfigure', 'automatic'],
      ]);
      expect(runs(dep)).toEqual([
        'configure:',
        `configure: ${target.id}`,
        'configure:',
        `configure: ${target.id}`,
        'configure:',
      ]);
      // Every reconfigure is started in the transaction of the change that causes it, or queued
      // there: with every operation ended and nothing queued, no further one comes.
      expect(await queued()).toEqual([]);
      expect(await ops(dep.id)).toHaveLength(5);
    },
  );

  it(
    'reconfigures a dependent that was busy once, after its operation, even across a restart',
    { timeout: 90_000 },
    async () => {
      const a = await deployed(service, 'QueueA', { instance_tags: ['queue'] });
      const b = await deployed(service, 'QueueB');
      const c = await deployed(service, 'QueueC');
      const dep = await deployed(dependent, 'Waiter', bindTo(['queue']));
      expect(runs(dep)).toEqual([`configure: ${a.id}`]);
      await put(dep.id, { variables: bindTo(['queue'], '3').box.variables });

      expect((await t.call('PUT', `/services/instances/${dep.id}/reconfigure`)).status).toBe(202);
      const deadline = Date.now() + 20_000;
      while (runs(dep).length < 2 && Date.now() < deadline) await sleep(50);
      expect(runs(dep)).toHaveLength(2);

      // Two instances join while the dependent's configure still runs: one queued reconfigure.
      await put(b.id, { tags: ['queue'] });
      await put(c.id, { tags: ['queue'] });
      expect(await queued()).toEqual([{ instance_id: dep.id }]);
      await restartSamePort(t);
      expect(await opsSettled(dep.id, 3, 40_000)).toEqual([
        ['deploy', 'admin'],
        ['reconfigure', 'admin'],
        ['reconfigure', 'automatic'],
      ]);
      expect(runs(dep)).toEqual([
        `configure: ${a.id}`,
        `configure: ${a.id}`,
        `configure: ${[a.id, b.id, c.id].sort().join(' ')}`,
      ]);
      expect(await queued()).toEqual([]);
      expect(await ops(dep.id)).toHaveLength(3);
    },
  );
});
