import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropTestDatabase, openServerStore } from '../helpers/store.js';
import { createBox, deploy, fastTunables, killAgents, settled, workdir } from './helpers.js';
import { startChildServer, type ChildServer } from './remote-server.js';

/**
 * quality.md F2 `crash-between-commit-and-reply`: the server dies after the transaction that starts
 * a workflow commits and before the reply leaves; the client sees no answer (an `info` outcome)
 * and retries with the same Idempotency-Key (NL-2).
 */
const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-f2-'));
let server: ChildServer | undefined;

afterAll(async () => {
  await server?.kill('SIGTERM');
  await killAgents(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  await dropTestDatabase(dataDir);
});

const EVENTS = ['install', 'configure', 'start'];
const failing = (): NodeJS.ProcessEnv => ({ ...process.env, EBCLI_FAILPOINT: 'after-commit-before-reply:kill' });
const clean = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.EBCLI_FAILPOINT;
  return env;
};

/** Runs a call that the failpoint answers by killing the server: it must get no reply at all. */
async function unanswered(call: () => Promise<unknown>): Promise<void> {
  const outcome = await call().then(
    (reply) => ({ ok: reply }),
    (err: unknown) => ({ info: err }),
  );
  expect(outcome).toHaveProperty('info');
  await server!.exited;
  expect(server!.process.signalCode).toBe('SIGKILL');
  await server!.kill();
}

describe('F2: crash between commit and reply', { timeout: 60_000 }, () => {
  it('a retry with the same Idempotency-Key returns the same id, and the work happens once', async () => {
    fastTunables();
    server = await startChildServer(dataDir, 0, failing());
    const port = server.port;
    const box = await createBox(server, {
      name: 'Once',
      events: Object.fromEntries(EVENTS.map((e) => [e, `#!/bin/bash\necho ${e} >> runs.log\n`])),
    });

    // Deploy: the instance and its workflow commit, then the process dies before replying.
    const deployKey = { 'idempotency-key': 'f2-deploy-1' };
    await unanswered(() => deploy(server!, box.id, 'Once', {}, deployKey));
    server = await startChildServer(dataDir, port, clean());
    const retry = await deploy(server, box.id, 'Once', {}, deployKey);
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const id = retry.body.id;
    const listed = (await server.call('GET', '/services/instances')).body;
    expect(listed.map((i: any) => i.id)).toEqual([id]);
    const doc = await settled(server, id, retry.body.updated);
    expect(doc.state).toBe('done');

    // An operation (PUT …/reconfigure) the same way.
    await server.kill('SIGTERM');
    server = await startChildServer(dataDir, port, failing());
    const opKey = { 'idempotency-key': 'f2-reconfigure-1' };
    await unanswered(() => server!.call('PUT', `/services/instances/${id}/reconfigure`, { headers: opKey }));
    server = await startChildServer(dataDir, port, clean());
    const again = await server.call('PUT', `/services/instances/${id}/reconfigure`, { headers: opKey });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ id, method: 'reconfigure' });
    const reconfigured = await settled(server, id, doc.updated);
    expect(reconfigured).toMatchObject({ state: 'done', operation: { event: 'reconfigure' } });

    const machine = `once-${doc.service.id}-1`;
    const runs = readFileSync(join(workdir(dataDir, machine, id), 'runs.log'), 'utf8')
      .trim()
      .split('\n');
    expect(runs).toEqual([...EVENTS, 'configure']);

    await server.kill('SIGTERM');
    server = undefined;
    const db = await openServerStore(dataDir);
    try {
      expect(await db.selectFrom('instances').select('id').execute()).toEqual([{ id }]);
      const workflows = await db
        .selectFrom('workflows')
        .select(['id', 'operation', 'state'])
        .where('instance_id', '=', id)
        .orderBy('created')
        .execute();
      expect(workflows.map((w) => [w.operation, w.state])).toEqual([
        ['deploy', 'done'],
        ['reconfigure', 'done'],
      ]);
      const executions = await db
        .selectFrom('executions')
        .select(['workflow_id', 'event', 'status'])
        .where('instance_id', '=', id)
        .orderBy('created')
        .execute();
      expect(executions.map((e) => [e.workflow_id, e.event, e.status])).toEqual([
        ...EVENTS.map((e) => [workflows[0]!.id, e, 'success']),
        [workflows[1]!.id, 'configure', 'success'],
      ]);
    } finally {
      await db.destroy();
    }
  });
});
