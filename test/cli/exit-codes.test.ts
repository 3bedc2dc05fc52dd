import { describe, expect, it } from 'vitest';
import { addActivity } from '../../src/server/workflows/store/activities.js';
import { addUser } from '../helpers/users.js';
import { runCli, seedInstance, useCliServer } from './helpers.js';

// One test per exit code of cli.md, each driving the real CLI against a real server.
describe('exit codes', () => {
  const cli = useCliServer();

  it('0: success', async () => {
    const r = await runCli(['workspaces', 'list'], { env: cli.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('admin');
  });

  it('1: the operation failed (instance unavailable), with the failing activity shown', async () => {
    const doc = await seedInstance(cli.t, { state: 'unavailable' });
    await addActivity(
      cli.t.server.db,
      {
        instanceId: doc.id,
        workflowId: null,
        workspace: 'admin',
        text: 'Failed executing install in machine m-1 (exit code 3).',
        level: 'info',
        event: 'install',
        exitCode: 3,
      },
      [],
    );
    const r = await runCli(['wait', doc.id], { env: cli.env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${doc.id}\tfailed`);
    expect(r.stderr).toContain('exit code 3');
  });

  it('2: usage error (unknown flag), also as JSON', async () => {
    const r = await runCli(['workspaces', 'list', '--bogus'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--bogus/);
    const j = await runCli(['workspaces', 'list', '--bogus', '--json'], { env: cli.env });
    expect(j.code).toBe(2);
    expect(j.json()).toMatchObject({ error: { code: 'usage', exitCode: 2 } });
  });

  it('3: timed out waiting, saying how to keep waiting', async () => {
    const doc = await seedInstance(cli.t, { state: 'processing' });
    const r = await runCli(['wait', doc.id, '--timeout', '1s'], { env: cli.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`ebcli wait ${doc.id}`);
  });

  it('4: not authenticated (bad token) or not allowed (another user’s workspace)', async () => {
    const r = await runCli(['instances', 'list', '--json'], { env: { ...cli.env, EBCLI_TOKEN: 'not-a-token' } });
    expect(r.code).toBe(4);
    expect(r.json()).toMatchObject({ error: { code: 'unauthenticated', exitCode: 4 } });
    const other = await addUser(cli.t, 'mallory');
    const f = await runCli(['workspaces', 'show', 'admin', '--json'], { env: { ...cli.env, EBCLI_TOKEN: other } });
    expect(f.code).toBe(4);
    expect(f.json()).toMatchObject({ error: { code: 'forbidden', exitCode: 4 } });
  });

  it('5: partial failure in a bulk operation, one line per target', async () => {
    const doc = await seedInstance(cli.t);
    const r = await runCli(['instances', 'reconfigure', doc.id, 'i-nosuch', '--no-wait'], { env: cli.env });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain(`${doc.id}\taccepted`);
    expect(r.stdout).toContain('i-nosuch\terror');
  });

  it('6: not found', async () => {
    const r = await runCli(['instances', 'show', 'i-nosuch', '--json'], { env: cli.env });
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({ error: { code: 'not_found', exitCode: 6 } });
  });

  it('7: agent unreachable, decided by the failure entry’s code and not by its wording', async () => {
    const entry = (instanceId: string, code?: 'agent_unreachable') =>
      addActivity(
        cli.t.server.db,
        {
          instanceId,
          workflowId: null,
          workspace: 'admin',
          text: 'The agent of machine m-2 did not connect within 5 s.',
          level: 'info',
          code,
        },
        [],
      );
    const doc = await seedInstance(cli.t, { state: 'unavailable' });
    await entry(doc.id, 'agent_unreachable');
    const r = await runCli(['wait', doc.id, '--json'], { env: cli.env });
    expect(r.code).toBe(7);
    expect(r.json()).toMatchObject({ error: { code: 'agent_unreachable', exitCode: 7 } });
    const worded = await seedInstance(cli.t, { state: 'unavailable' });
    await entry(worded.id);
    const w = await runCli(['wait', worded.id, '--json'], { env: cli.env });
    expect(w.code).toBe(1);
  });

  it('a failed request shows the server’s request id (text; JSON from the instances list fast path too)', async () => {
    const env = { ...cli.env, EBCLI_TOKEN: 'not-a-token' };
    const r = await runCli(['workspaces', 'list'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^Request id: [0-9a-f-]{36}$/m);
    const j = await runCli(['instances', 'list', '--json'], { env });
    expect(j.code).toBe(4);
    expect(j.json().error).toMatchObject({
      code: 'unauthenticated',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('130: interrupted (Ctrl-C)', async () => {
    const doc = await seedInstance(cli.t, { state: 'processing' });
    const r = await runCli(['wait', doc.id, '--timeout', '60s'], {
      env: cli.env,
      onSpawn: (child) => {
        child.stderr?.once('data', () => child.kill('SIGINT'));
      },
    });
    expect(r.code).toBe(130);
  });

  it('help exit-codes documents the table', async () => {
    const r = await runCli(['help', 'exit-codes', '--json'], { env: cli.env });
    expect(r.code).toBe(0);
    expect(r.json().map((row: { code: number }) => row.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 130]);
  });
});
