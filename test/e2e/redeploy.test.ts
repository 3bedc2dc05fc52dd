import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, settled, useE2eServer, workdir } from './helpers.js';

let t: TestServer;
useE2eServer((server) => (t = server));

const log = (event: string) => `#!/bin/bash\necho ${event} >> runs.log\n`;

describe('PUT /services/instances/{id}/deploy', { timeout: 60_000 }, () => {
  it('runs install, configure and start again on the same machine, also after a failed deploy', async () => {
    const box = await createBox(t, {
      name: 'Again',
      events: {
        install: log('install'),
        // Fails the first time only.
        configure:
          '#!/bin/bash\nif [ ! -f ok ]; then touch ok; echo configure-failed >> runs.log; exit 1; fi\necho configure >> runs.log\n',
        start: log('start'),
        stop: log('stop'),
      },
    });
    const res = await deploy(t, box.id, 'Again');
    const failed = await settled(t, res.body.id, res.body.updated);
    expect(failed).toMatchObject({ state: 'unavailable', operation: { event: 'deploy' } });
    const id = failed.id;
    const machine = `again-${failed.service.id}-1`;
    const runs = () =>
      readFileSync(join(workdir(t.dataDir, machine, id), 'runs.log'), 'utf8')
        .trim()
        .split('\n');
    expect(runs()).toEqual(['install', 'configure-failed']);

    const again = await t.call('PUT', `/services/instances/${id}/deploy`);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ id, method: 'deploy' });
    const busy = (await t.call('GET', `/services/instances/${id}`)).body;
    expect(busy).toMatchObject({ state: 'processing', operation: { event: 'deploy' } });
    const done = await settled(t, id, failed.updated);
    expect(done).toMatchObject({ state: 'done', operation: { event: 'deploy' } });
    expect(runs()).toEqual(['install', 'configure-failed', 'install', 'configure', 'start']);
    expect((await activityTexts(t, id)).at(-1)).toBe('Instance successfully deployed.');

    // A stopped instance is booted first; the machine stays the same one.
    expect((await t.call('PUT', `/services/instances/${id}/shutdown`)).status).toBe(202);
    const stopped = await settled(t, id, done.updated);
    expect(stopped.operation.event).toBe('shutdown_service');
    expect((await t.call('PUT', `/services/instances/${id}/deploy`)).status).toBe(202);
    const redone = await settled(t, id, stopped.updated);
    expect(redone).toMatchObject({ state: 'done', operation: { event: 'deploy' } });
    expect(runs().slice(5)).toEqual(['stop', 'install', 'configure', 'start']);
    const service = (await t.call('GET', `/services/instances/${id}/service`)).body;
    expect(service.machines.map((m: any) => [m.name, m.state])).toEqual([[machine, 'running']]);
    const ops = (await t.call('GET', `/services/instances/${id}/operations`)).body.map((o: any) => o.operation);
    expect(ops).toEqual(['deploy', 'redeploy', 'shutdown', 'redeploy']);

    // Not on a terminated instance.
    expect((await t.call('DELETE', `/services/instances/${id}?operation=force_terminate`)).status).toBe(202);
    await settled(t, id, redone.updated);
    const refused = await t.call('PUT', `/services/instances/${id}/deploy`);
    expect(refused.status).toBe(409);
  });
});
