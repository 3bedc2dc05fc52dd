import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { activityTexts, deploy, fastTunables, importExample, killAgents, settled, workdir } from './helpers.js';

let t: TestServer;
const ids = new Map<string, string>();
let helloWeb: string;

beforeAll(async () => {
  fastTunables();
  t = await startTestServer();
  helloWeb = (await importExample(t, 'Hello Web', ids)).id;
});
afterAll(async () => {
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
});

const page = async (port: string) => {
  const res = await request(`http://127.0.0.1:${port}/`);
  return res.body.text();
};

describe('Hello Web on the local provider', { timeout: 60_000 }, () => {
  let id: string;
  let machine: string;
  let port: string;

  it('deploys: 202 at once, then done with activity, machine logs and a served page', async () => {
    const res = await deploy(t, helloWeb, 'Hello Web', {
      box: { id: helloWeb, variables: [{ name: 'GREETING', value: 'Hi e2e' }] },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ state: 'processing', operation: { event: 'deploy' } });
    id = res.body.id;
    const doc = await settled(t, id, res.body.updated);
    expect(doc.state).toBe('done');
    expect(doc.operation.event).toBe('deploy');
    machine = `hello-web-${doc.service.id}-1`;
    expect(doc.service.machines).toEqual([expect.objectContaining({ name: machine, state: 'running' })]);
    port = doc.variables.find((v: any) => v.name === 'HTTP_PORT').value;
    expect(port).not.toBe('8080');
    expect(await page(port)).toContain('Hi e2e');

    const texts = await activityTexts(t, id);
    expect(texts[0]).toBe('Deploying instance.');
    expect(texts).toContain(`Waiting to install ElasticBox agent in machine ${machine}.`);
    expect(texts).toContain(`Executing install:Hello Web in machine ${machine}.`);
    expect(texts).toContain(`Executing start:Hello Web in machine ${machine}.`);
    expect(texts.slice(-2)).toEqual([`Machine ${machine} successfully deployed.`, 'Instance successfully deployed.']);
    const activity = (await t.call('GET', `/services/instances/${id}/activity`)).body;
    const install = activity.find((a: any) => a.event === 'install');
    expect(install).toMatchObject({ exit_code: 0, machine, level: 'install' });
    expect(install.finished).toMatch(/^\d{4}-/);

    const logs = await t.call('GET', `/services/instances/${id}/machine_logs?machine_name=${machine}`);
    expect(logs.status).toBe(200);
    expect(String(logs.headers['content-type'])).toMatch(/^text\/plain/);
    expect(logs.text).toContain(`Executing install-${id} script (Hello Web)`);
    expect(logs.text).toContain('Hello Web: wrote www/index.html');
    expect(logs.text).toContain(`start-${id} successfully executed.`);
    const startOnly = await t.call('GET', `/services/instances/${id}/machine_logs?machine_name=${machine}&event=start`);
    expect(startOnly.text).not.toContain('wrote www/index.html');

    const service = (await t.call('GET', `/services/instances/${id}/service`)).body;
    expect(service).toMatchObject({ id: doc.service.id, state: 'done', operation: 'deploy' });
    expect(service.machines[0]).toMatchObject({
      name: machine,
      address: { public: '127.0.0.1', private: '127.0.0.1' },
      state: 'running',
    });
    expect(service.machines[0].agent_version).toBeTruthy();
    expect(service.machines[0].last_agent_ping).toMatch(/^\d{4}-/);
    const ops = (await t.call('GET', `/services/instances/${id}/operations`)).body;
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ operation: 'deploy', state: 'done', instance_state: 'done' });
    expect(ops[0].activity.map((a: any) => a.text)).toEqual(texts);
  });

  it('reconfigures, shuts down, powers on, terminates and deletes', async () => {
    const put = async (op: string) => {
      const before = (await t.call('GET', `/services/instances/${id}`)).body.updated;
      const res = await t.call('PUT', `/services/instances/${id}/${op}`);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ id, method: op });
      const now = (await t.call('GET', `/services/instances/${id}`)).body;
      expect(now.state === 'processing' || now.updated !== before).toBe(true);
      return settled(t, id, before);
    };
    expect((await put('reconfigure')).state).toBe('done');
    const stopped = await put('shutdown');
    expect(stopped).toMatchObject({ state: 'done', operation: { event: 'shutdown_service' } });
    await expect(page(port)).rejects.toThrow();
    const refused = await t.call('PUT', `/services/instances/${id}/reconfigure`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/stopped/);
    expect((await put('poweron')).state).toBe('done');
    expect(await page(port)).toContain('Hi e2e');

    const before = (await t.call('GET', `/services/instances/${id}`)).body.updated;
    const del = await t.call('DELETE', `/services/instances/${id}`);
    expect(del.status).toBe(202);
    expect(del.body).toEqual({ id, method: 'terminate' });
    const gone = await settled(t, id, before);
    expect(gone).toMatchObject({ state: 'done', operation: { event: 'terminate_service' } });
    expect(existsSync(join(t.dataDir, 'machines', machine))).toBe(false);
    await expect(page(port)).rejects.toThrow();
    const again = await t.call('PUT', `/services/instances/${id}/poweron`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/terminated/);

    expect((await t.call('DELETE', `/services/instances/${id}?operation=delete`)).status).toBe(202);
    await settled(t, id);
    expect((await t.call('GET', `/services/instances/${id}`)).status).toBe(404);
  });
});

describe('box trees', { timeout: 60_000 }, () => {
  it('runs nested scripts in CAM order and applies the parent scoped override', async () => {
    await importExample(t, 'Nested Child', ids);
    const parent = await importExample(t, 'Nested Parent', ids);
    const res = await deploy(t, parent.id, 'Nested');
    const doc = await settled(t, res.body.id, res.body.updated);
    expect(doc.state).toBe('done');
    const dir = workdir(t.dataDir, `nested-${doc.service.id}-1`, doc.id);
    expect(readFileSync(join(dir, 'box-events.log'), 'utf8').trim().split('\n')).toEqual([
      'Nested Parent:pre_install',
      'Nested Child:pre_install',
      'Nested Child:install',
      'Nested Parent:install',
      'Nested Parent:pre_configure',
      'Nested Child:pre_configure',
      'Nested Child:configure',
      'Nested Parent:configure',
      'Nested Parent:pre_start',
      'Nested Child:pre_start',
      'Nested Child:start',
      'Nested Parent:start',
    ]);
    expect(readFileSync(join(dir, 'nested-color.txt'), 'utf8').trim()).toBe('blue');
  });
});
