import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, eventsOf, settled, useE2eServer, workdir } from './helpers.js';

let t: TestServer;
useE2eServer((server) => (t = server));

const log = (event: string) => `#!/bin/bash\necho ${event} >> runs.log\n`;

describe('script exit codes', { timeout: 60_000 }, () => {
  it('a failing script stops the operation and leaves the instance unavailable, naming the script', async () => {
    const box = await createBox(t, {
      name: 'Broken',
      events: {
        install: '#!/bin/bash\necho "about to fail"\necho "broken on purpose" >&2\nexit 3\n',
        configure: log('configure'),
      },
    });
    const res = await deploy(t, box.id, 'Broken');
    const doc = await settled(t, res.body.id, res.body.updated);
    expect(doc).toMatchObject({ state: 'unavailable', operation: { event: 'deploy' } });
    const machine = `broken-${doc.service.id}-1`;
    const failure = `Failed executing install:Broken in machine ${machine} (exit code 3).`;
    const texts = await activityTexts(t, doc.id);
    expect(texts).toContain(failure);
    expect(texts.at(-1)).toBe(`Instance deployment failed. ${failure}`);
    expect(texts.some((x) => x.startsWith('Executing configure'))).toBe(false);
    const activity = (await t.call('GET', `/services/instances/${doc.id}/activity`)).body;
    expect(activity.find((a: any) => a.text.startsWith('Executing install'))).toMatchObject({ exit_code: 3 });
    const logs = (await t.call('GET', `/services/instances/${doc.id}/machine_logs?machine_name=${machine}`)).text;
    expect(logs).toContain('broken on purpose');
    expect(logs).toContain(`install-${doc.id} failed (exit code 3).`);
    const ops = (await t.call('GET', `/services/instances/${doc.id}/operations`)).body;
    expect(ops[0]).toMatchObject({ state: 'failed', instance_state: 'unavailable', error: failure });

    // A failed instance can be force terminated: no scripts, machine and sandbox gone.
    const before = doc.updated;
    expect((await t.call('DELETE', `/services/instances/${doc.id}?operation=force_terminate`)).status).toBe(202);
    const gone = await settled(t, doc.id, before);
    expect(gone).toMatchObject({ state: 'done', operation: { event: 'terminate_service' } });
    expect(existsSync(join(t.dataDir, 'machines', machine))).toBe(false);
  });

  it('exit code 100 reboots the machine, waits for the agent and goes on with the next script', async () => {
    const box = await createBox(t, {
      name: 'Rebooter',
      events: {
        install: '#!/bin/bash\necho install >> runs.log\necho "rebooting"\nexit 100\n',
        configure: log('configure'),
        start: log('start'),
      },
    });
    const res = await deploy(t, box.id, 'Rebooter');
    const doc = await settled(t, res.body.id, res.body.updated);
    expect(doc.state).toBe('done');
    const machine = `rebooter-${doc.service.id}-1`;
    const runs = readFileSync(join(workdir(t.dataDir, machine, doc.id), 'runs.log'), 'utf8');
    expect(runs.trim().split('\n')).toEqual(['install', 'configure', 'start']);
    const activity = (await t.call('GET', `/services/instances/${doc.id}/activity`)).body;
    expect(activity.find((a: any) => a.event === 'install')).toMatchObject({ exit_code: 100 });
    const connects = await eventsOf(t, doc.id, 'agent.connect');
    expect(connects.length).toBeGreaterThanOrEqual(2);
    const logs = (await t.call('GET', `/services/instances/${doc.id}/machine_logs?machine_name=${machine}`)).text;
    expect(logs).toContain(`install-${doc.id} asked for a reboot (exit code 100).`);
  });
});

describe('conflicts', { timeout: 60_000 }, () => {
  it('answers 409 Operation Conflict while an operation runs, and 409 with a reason for impossible ones', async () => {
    const box = await createBox(t, { name: 'Slow', events: { install: '#!/bin/bash\nsleep 2\n' } });
    const res = await deploy(t, box.id, 'Slow');
    const id = res.body.id;
    for (const op of ['reconfigure', 'shutdown', 'poweron', 'reinstall']) {
      const busy = await t.call('PUT', `/services/instances/${id}/${op}`);
      expect(busy.status).toBe(409);
      expect(busy.body.message).toMatch(/^Operation Conflict/);
    }
    expect((await t.call('DELETE', `/services/instances/${id}`)).status).toBe(409);
    const doc = await settled(t, id, res.body.updated);
    expect(doc.state).toBe('done');
    const del = await t.call('DELETE', `/services/instances/${id}?operation=delete`);
    expect(del.status).toBe(409);
    expect(del.body.message).toMatch(/terminate the instance before deleting it/);
    expect((await t.call('DELETE', `/services/instances/${id}?operation=explode`)).status).toBe(400);
    expect((await t.call('PUT', `/services/instances/i-zzzzzz/reconfigure`)).status).toBe(404);
    // Only one workflow of the instance is ever open: the refused requests created none.
    const ops = (await t.call('GET', `/services/instances/${id}/operations`)).body;
    expect(ops.map((o: any) => o.operation)).toEqual(['deploy']);
  });
});

describe('Idempotency-Key', { timeout: 60_000 }, () => {
  it('returns the first answer to a retry and creates nothing new', async () => {
    const box = await createBox(t, { name: 'Once', events: { install: log('install') } });
    const key = { 'idempotency-key': `deploy-once-${Date.now()}` };
    const first = await deploy(t, box.id, 'Once', {}, key);
    expect(first.status).toBe(202);
    const retry = await deploy(t, box.id, 'Once', {}, key);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const all = (await t.call('GET', '/services/instances')).body.filter((i: any) => i.name === 'Once');
    expect(all).toHaveLength(1);

    const other = await t.call('PUT', `/services/instances/${first.body.id}/reconfigure`, { headers: key });
    expect(other.status).toBe(422);
    const changed = await deploy(t, box.id, 'Other', {}, key);
    expect(changed.status).toBe(422);

    await settled(t, first.body.id, first.body.updated);
    const opKey = { 'idempotency-key': `reconfigure-${Date.now()}` };
    const a = await t.call('PUT', `/services/instances/${first.body.id}/reconfigure`, { headers: opKey });
    const b = await t.call('PUT', `/services/instances/${first.body.id}/reconfigure`, { headers: opKey });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body).toEqual(a.body);
    await settled(t, first.body.id);
    const ops = (await t.call('GET', `/services/instances/${first.body.id}/operations`)).body;
    expect(ops.map((o: any) => o.operation)).toEqual(['deploy', 'reconfigure']);
  });
});
