import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINE_MARKER } from '../../src/server/providers/local.js';
import { commandLine, machineProcesses } from '../../src/server/providers/process-group.js';
import { dataFiles } from '../../src/shared/paths.js';
import type { TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, settled, useE2eServer, workdir } from './helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';

let t: TestServer;
useE2eServer((server) => (t = server));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('historical CAM clients', () => {
  it('renders an unbound Binding as false in event scripts, as Jinja2 does', async () => {
    const box = await createBox(t, {
      name: 'Maybe Bound',
      variables: [{ name: 'db', type: 'Binding', value: 'AnyBox', required: false, visibility: 'private' }],
      events: {
        install:
          '#!/bin/bash\necho "{% if db %}bound{% else %}unbound{% endif %} {{ db or \'none\' }}" > binding.txt\n',
      },
    });
    const res = await deploy(t, box.id, 'Unbound');
    expect(res.status).toBe(202);
    const doc = await settled(t, res.body.id, res.body.updated);
    expect(doc.state).toBe('done');
    const file = join(workdir(t.dataDir, `unbound-${doc.service.id}-1`, doc.id), 'binding.txt');
    expect(readFileSync(file, 'utf8')).toBe('unbound none\n');
    expect((await t.call('DELETE', `/services/instances/${doc.id}?operation=force_terminate`)).status).toBe(202);
    expect((await settled(t, doc.id, doc.updated)).operation.event).toMatch(/^terminate/);
  }, 120_000);

  it('force_terminate of a busy instance cancels its running operation, kills the script and terminates', async () => {
    const box = await createBox(t, {
      name: 'Slow Install',
      events: {
        install: '#!/bin/bash\necho $$ > install.pid\nsleep 300.75\n',
        dispose: '#!/bin/bash\ntouch disposed\n',
      },
    });
    const res = await deploy(t, box.id, 'Busy');
    expect(res.status).toBe(202);
    const id = res.body.id;
    const machine = `busy-${res.body.service.id}-1`;
    const pidFile = join(workdir(t.dataDir, machine, id), 'install.pid');
    await until('the install script', () => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()) || undefined);
    // The machine has a PID namespace of its own: its sleep is found among its processes by command line.
    const root = join(dataFiles(t.dataDir).machines, machine);
    const sleeping = () =>
      machineProcesses(MACHINE_MARKER, root).filter((p) => commandLine(p)?.join(' ') === 'sleep 300.75');
    const pid = await until('the sleep', () => sleeping()[0]);
    expect(alive(pid)).toBe(true);

    // A plain terminate still waits its turn; force_terminate does not.
    expect((await t.call('DELETE', `/services/instances/${id}?operation=terminate`)).status).toBe(409);
    const force = await t.call('DELETE', `/services/instances/${id}?operation=force_terminate`);
    expect(force.status).toBe(202);
    expect(force.body).toEqual({ id, method: 'force_terminate' });
    const doc = await settled(t, id, res.body.updated);
    expect(doc.state).toBe('done');
    expect(doc.operation.event).toMatch(/^terminate/);

    await until('the script to be killed', () => (alive(pid) ? undefined : true), 20_000);
    expect(existsSync(join(workdir(t.dataDir, machine, id), 'disposed'))).toBe(false);
    const operations = (await t.call('GET', `/services/instances/${id}/operations`)).body;
    const deployOp = operations.find((o: any) => o.operation === 'deploy');
    expect(deployOp).toMatchObject({ state: 'cancelled', instance_state: 'unavailable' });
    expect(operations.find((o: any) => o.operation === 'force_terminate')).toMatchObject({ state: 'done' });
    const texts = await activityTexts(t, id);
    expect(texts).toContain('Operation deploy cancelled by force terminate.');
    expect(texts.at(-1)).toBe('Instance successfully terminated.');
    const activity = (await t.call('GET', `/services/instances/${id}/activity`)).body;
    expect(activity.find((a: any) => a.event === 'install')).toBeDefined();
  }, 120_000);

  it('deploys an application box: one instance per service, answered as an array', async () => {
    const web = await createBox(t, {
      name: 'App Web',
      variables: [{ name: 'GREETING', type: 'Text', value: 'default', required: false, visibility: 'public' }],
      events: { install: '#!/bin/bash\necho "web {{ GREETING }}" > service.txt\n' },
    });
    const db = await createBox(t, {
      name: 'App Db',
      events: { install: '#!/bin/bash\necho "db {{ environment }}" > service.txt\n' },
    });
    const app = await t.call('POST', '/services/boxes', {
      body: {
        schema: `${SCHEMAS}boxes/application`,
        name: 'Shop App',
        services: [
          { name: 'web', box: { id: web.id, variables: [{ name: 'GREETING', value: 'hello' }] }, tags: ['front'] },
          { name: 'db', box: { id: db.id, latest: true }, policy: { requirements: ['linux'] } },
        ],
      },
    });
    expect(app.status).toBe(200);
    expect(app.body).not.toHaveProperty('icon');
    const request = {
      schema: `${SCHEMAS}deploy/application`,
      name: 'shop',
      box: { id: app.body.id },
      instance_tags: ['demo'],
    };

    const dry = await t.call('POST', '/services/instances/dryrun', { body: request });
    expect(dry.status).toBe(200);
    expect(dry.body.map((i: any) => i.name)).toEqual(['shop-web', 'shop-db']);
    const plainDeploy = await deploy(t, app.body.id, 'not-this-way');
    expect(plainDeploy.status).toBe(400);
    expect(plainDeploy.body.message).toMatch(/deploy\/application/);

    const res = await t.call('POST', '/services/instances', { body: request });
    expect(res.status).toBe(202);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body).toHaveLength(2);
    const [webDoc, dbDoc] = res.body;
    expect(webDoc).toMatchObject({
      name: 'shop-web',
      state: 'processing',
      box: web.id,
      tags: ['demo', 'front'],
      automatic_updates: 'off',
      application: { id: app.body.id, name: 'Shop App' },
      variables: [{ name: 'GREETING', type: 'Text', value: 'hello' }],
    });
    expect(dbDoc).toMatchObject({ name: 'shop-db', box: db.id, tags: ['demo'] });
    for (const doc of res.body) {
      const done = await settled(t, doc.id, doc.updated);
      expect(done.state).toBe('done');
      const file = join(workdir(t.dataDir, `${doc.name}-${doc.service.id}-1`, doc.id), 'service.txt');
      expect(readFileSync(file, 'utf8')).toBe(doc.name === 'shop-web' ? 'web hello\n' : 'db shop-db\n');
    }
    // A second deploy under the same name clashes and creates nothing.
    const again = await t.call('POST', '/services/instances', { body: request });
    expect(again.status).toBe(409);
    expect(
      (await t.call('GET', '/services/instances')).body.filter((i: any) => i.name.startsWith('shop-')),
    ).toHaveLength(2);
    for (const doc of res.body) {
      const current = (await t.call('GET', `/services/instances/${doc.id}`)).body;
      expect((await t.call('DELETE', `/services/instances/${doc.id}?operation=terminate`)).status).toBe(202);
      expect((await settled(t, doc.id, current.updated)).operation.event).toMatch(/^terminate/);
    }
  }, 120_000);
});
