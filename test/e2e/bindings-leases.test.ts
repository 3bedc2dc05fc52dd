import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../src/shared/time.js';
import type { TestServer } from '../helpers/server.js';
import { until } from '../helpers/standalone-agent.js';
import { createBox, deploy, importExample, restartSamePort, settled, useE2eServer, workdir } from './helpers.js';

let t: TestServer;
useE2eServer((server) => (t = server));

const inMs = (ms: number) => formatTimestamp(BigInt(Date.now() + ms) * 1000n);

describe('bindings', () => {
  it(
    'resolves a tag binding before configure and exposes the target address and public variables',
    { timeout: 90_000 },
    async () => {
      const ids = new Map<string, string>();
      const service = await importExample(t, 'Greeting Service', ids);
      const client = await importExample(t, 'Greeting Client', ids);
      const s = await deploy(t, service.id, 'Greeter', {
        instance_tags: ['greeting-service'],
        box: { id: service.id, variables: [{ name: 'MESSAGE', value: 'Bound hello' }] },
      });
      const sDoc = await settled(t, s.body.id, s.body.updated);
      expect(sDoc.state).toBe('done');
      const c = await deploy(t, client.id, 'Reader', {
        box: { id: client.id, variables: [{ name: 'service', type: 'Binding', tags: ['greeting-service'] }] },
      });
      const cDoc = await settled(t, c.body.id, c.body.updated);
      expect(cDoc.state).toBe('done');
      expect(cDoc.bindings).toEqual([{ instance: sDoc.id, name: 'service', scope: '' }]);
      const received = join(workdir(t.dataDir, `reader-${cDoc.service.id}-1`, cDoc.id), 'received.txt');
      expect(readFileSync(received, 'utf8').trim()).toBe('Bound hello');
    },
  );
});

describe('instance leases', () => {
  it('fire their operation once, on time, across restarts', { timeout: 90_000 }, async () => {
    const box = await createBox(t, { name: 'Leased', events: { stop: '#!/bin/bash\necho stop >> runs.log\n' } });
    const res = await deploy(t, box.id, 'Leased', { lease: { expire: inMs(4000), operation: 'shutdown' } });
    const id = res.body.id;
    const deployed = await settled(t, id, res.body.updated);
    expect(deployed).toMatchObject({ state: 'done', lease: { operation: 'shutdown', released: false } });
    await restartSamePort(t);
    const stopped = await settled(t, id, deployed.updated, 20_000);
    expect(stopped).toMatchObject({
      state: 'done',
      operation: { event: 'shutdown_service' },
      lease: { released: true },
    });
    await restartSamePort(t);
    // A lease set after this restart fires: the restarted scheduler has been through due leases
    // since, so had the released one been due again, it would have fired again by now.
    const canary = await deploy(t, box.id, 'Canary', { lease: { expire: inMs(500), operation: 'shutdown' } });
    await until(async () => {
      const doc = (await t.call('GET', `/services/instances/${canary.body.id}`)).body;
      return (doc.state === 'done' && doc.operation?.event === 'shutdown_service') || undefined;
    }, "the canary's lease fired");
    const canaryOps = (await t.call('GET', `/services/instances/${canary.body.id}/operations`)).body;
    expect(canaryOps.map((o: any) => o.operation)).toEqual(['deploy', 'shutdown']);
    const ops = (await t.call('GET', `/services/instances/${id}/operations`)).body;
    expect(ops.map((o: any) => [o.operation, o.username])).toEqual([
      ['deploy', 'admin'],
      ['shutdown', 'lease'],
    ]);
    const runs = readFileSync(join(workdir(t.dataDir, `leased-${deployed.service.id}-1`, id), 'runs.log'), 'utf8');
    expect(runs).toBe('stop\n');
  });
});
