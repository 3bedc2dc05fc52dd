import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropTestDatabase, openServerStore } from '../helpers/store.js';
import { createBox, deploy, fastTunables, killAgents, settled, workdir } from './helpers.js';
import { startChildServer, type ChildServer } from './remote-server.js';

/** The engine's `after-step-commit` failpoint: the server dies right after a step's commit. */
const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-step-'));
let server: ChildServer | undefined;

afterAll(async () => {
  await server?.kill('SIGTERM');
  await killAgents(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  await dropTestDatabase(dataDir);
});

describe('SIGKILL right after a step commits', { timeout: 60_000 }, () => {
  it('resumes at the next step: the machine is provisioned once and every script runs once', async () => {
    fastTunables();
    const env = { ...process.env, EBCLI_FAILPOINT: 'after-step-commit:kill' };
    server = await startChildServer(dataDir, 0, env);
    const port = server.port;
    const box = await createBox(server, {
      name: 'Stepwise',
      events: { install: '#!/bin/bash\necho install >> runs.log\n', start: '#!/bin/bash\necho start >> runs.log\n' },
    });
    const res = await deploy(server, box.id, 'Stepwise');
    expect(res.status).toBe(202);
    await server.exited;
    expect(server.process.signalCode).toBe('SIGKILL');
    await server.kill();

    const clean = { ...process.env };
    delete clean.EBCLI_FAILPOINT;
    server = await startChildServer(dataDir, port, clean);
    const doc = await settled(server, res.body.id, res.body.updated);
    expect(doc.state).toBe('done');
    const runs = readFileSync(join(workdir(dataDir, `stepwise-${doc.service.id}-1`, doc.id), 'runs.log'), 'utf8');
    expect(runs).toBe('install\nstart\n');

    await server.kill('SIGTERM');
    server = undefined;
    const db = await openServerStore(dataDir);
    try {
      const results = await db
        .selectFrom('step_results as r')
        .innerJoin('workflows as w', 'w.id', 'r.workflow_id')
        .select(['r.step', 'r.kind'])
        .orderBy('r.step')
        .execute();
      expect(results.map((r) => r.kind)).toEqual(['provision', 'wait_agent', 'script', 'bindings', 'script']);
      expect(results.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
      const logs = await db
        .selectFrom('activities')
        .select('text')
        .where('text', 'like', 'Machine % provisioned %')
        .execute();
      expect(logs).toHaveLength(1);
    } finally {
      await db.destroy();
    }
  });
});
