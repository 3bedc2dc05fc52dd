import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, settled, useE2eServer, workdir } from './helpers.js';

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
      events: { install: '#!/bin/bash\necho $$ > install.pid\nsleep 300\n', dispose: '#!/bin/bash\ntouch disposed\n' },
    });
    const res = await deploy(t, box.id, 'Busy');
    expect(res.status).toBe(202);
    const id = res.body.id;
    const machine = `busy-${res.body.service.id}-1`;
    const pidFile = join(workdir(t.dataDir, machine, id), 'install.pid');
    const pid = await until('the install script', () =>
      existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() ? Number(readFileSync(pidFile, 'utf8')) : undefined,
    );
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
    expect(texts).toContain('Operation deploy cancelled by force_terminate.');
    expect(texts.at(-1)).toBe('Instance successfully terminated.');
    const activity = (await t.call('GET', `/services/instances/${id}/activity`)).body;
    expect(activity.find((a: any) => a.event === 'install')).toBeDefined();
  }, 120_000);
});
