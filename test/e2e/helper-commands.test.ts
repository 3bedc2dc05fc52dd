import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { createBox, deploy, settled, useE2eServer, workdir } from './helpers.js';

let t: TestServer;
useE2eServer((server) => (t = server));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

describe('on-machine helper commands', { timeout: 60_000 }, () => {
  it('elasticbox set stores a variable that later scripts and the instance document see', async () => {
    const box = await createBox(t, {
      name: 'Setter',
      variables: [{ name: 'COLOR', type: 'Text', value: 'red' }],
      events: {
        install: '#!/bin/bash\nset -e\nelasticbox set COLOR green\n',
        configure: '#!/bin/bash\necho "{{ COLOR }} $COLOR" > color.txt\n',
      },
    });
    const res = await deploy(t, box.id, 'Setter');
    const doc = await settled(t, res.body.id, res.body.updated);
    expect(doc.state).toBe('done');
    expect(doc.variables).toContainEqual({ name: 'COLOR', type: 'Text', value: 'green' });
    const dir = workdir(t.dataDir, `setter-${doc.service.id}-1`, doc.id);
    expect(readFileSync(join(dir, 'color.txt'), 'utf8').trim()).toBe('green green');
  });

  it('elasticbox notify reconfigures the instances bound to this one', async () => {
    const target = await createBox(t, {
      name: 'Target',
      events: { configure: '#!/bin/bash\nset -e\nelasticbox notify\n' },
    });
    const dependent = await createBox(t, {
      name: 'Dependent',
      variables: [{ name: 'upstream', type: 'Binding', value: target.id }],
      events: { configure: '#!/bin/bash\necho "configure {{ upstream.instance }}" >> runs.log\n' },
    });
    const tr = await deploy(t, target.id, 'Target', { instance_tags: ['notify-target'] });
    const targetDoc = await settled(t, tr.body.id, tr.body.updated);
    const dr = await deploy(t, dependent.id, 'Dependent', {
      box: { id: dependent.id, variables: [{ name: 'upstream', type: 'Binding', tags: ['notify-target'] }] },
    });
    const depDoc = await settled(t, dr.body.id, dr.body.updated);
    expect(depDoc.state).toBe('done');

    const before = (await t.call('GET', `/services/instances/${targetDoc.id}`)).body.updated;
    expect((await t.call('PUT', `/services/instances/${targetDoc.id}/reconfigure`)).status).toBe(202);
    await settled(t, targetDoc.id, before);
    let ops: any[] = [];
    for (let i = 0; i < 100 && ops.length < 2; i++) {
      ops = (await t.call('GET', `/services/instances/${depDoc.id}/operations`)).body;
      await sleep(100);
    }
    expect(ops.map((o: any) => [o.operation, o.username])).toEqual([
      ['deploy', 'admin'],
      ['reconfigure', 'agent'],
    ]);
    await settled(t, depDoc.id);
    const runs = lines(join(workdir(t.dataDir, `dependent-${depDoc.service.id}-1`, depDoc.id), 'runs.log'));
    expect(runs).toEqual([`configure ${targetDoc.id}`, `configure ${targetDoc.id}`]);
  });
});
