import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addUser } from '../helpers/users.js';
import { tempHome, useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'ebcli-users-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('users and workspace members commands', () => {
  const cli = useCliServer();
  const login = (email: string, password: string) =>
    cli.t.call('POST', '/services/security/token', { token: null, body: { email, password } });

  it('users add reads the initial password from stdin or a file, never from argv', async () => {
    const added = await runCli(['users', 'add', 'alice', '--email', 'alice@example.test', '--password-stdin'], {
      env: cli.env,
      input: 'alice-secret-pw\n',
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('alice\n');
    expect(added.stderr).toContain('Added user alice');
    expect((await login('alice@example.test', 'alice-secret-pw')).status).toBe(200);

    const file = join(dir, 'pw.txt');
    writeFileSync(file, 'bob-secret-password\n', { mode: 0o600 });
    const fromFile = await runCli(
      ['users', 'add', 'bob', '--email', 'bob@example.test', '--password-file', file, '--admin', '--json'],
      { env: cli.env },
    );
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.json()).toMatchObject({ id: 'bob', email: 'bob@example.test', is_admin: true });
    expect(fromFile.stdout).not.toContain('bob-secret-password');
    expect((await login('bob@example.test', 'bob-secret-password')).status).toBe(200);
  });

  it('users add without a password source or with a password flag is a usage error (exit 2)', async () => {
    const none = await runCli(['users', 'add', 'carl', '--email', 'carl@example.test'], { env: cli.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--password-stdin or --password-file/);
    const inArgv = await runCli(['users', 'add', 'carl', '--email', 'carl@example.test', '--password', 'x'], {
      env: cli.env,
    });
    expect(inArgv.code).toBe(2);
    const empty = await runCli(['users', 'add', 'carl', '--email', 'carl@example.test', '--password-stdin'], {
      env: cli.env,
      input: '',
    });
    expect(empty.code).toBe(2);
    const list = await runCli(['users', 'list', '--json'], { env: cli.env });
    expect(list.json().map((u: { id: string }) => u.id)).not.toContain('carl');
  });

  it('users add reports a bad email or a taken name with the API error (exit 1)', async () => {
    const bad = await runCli(['users', 'add', 'dora', '--email', 'not-an-email', '--password-stdin'], {
      env: cli.env,
      input: 'long-enough-pw',
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a valid email/);
    const taken = await runCli(
      ['users', 'add', 'alice', '--email', 'other@example.test', '--password-stdin', '--json'],
      {
        env: cli.env,
        input: 'long-enough-pw',
      },
    );
    expect(taken.code).toBe(1);
    expect(JSON.parse(taken.stdout).error).toMatchObject({ code: 'conflict', exitCode: 1 });
  });

  it('users list shows a table to admins and refuses others (exit 4)', async () => {
    const list = await runCli(['users'], { env: cli.env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^admin\tadmin@ebcli\.local\tyes\t/m);
    expect(list.stdout).toMatch(/^alice\talice@example\.test\t\t/m);
    const erin = await addUser(cli.t, 'erin');
    const refused = await runCli(['users', 'list'], { env: { ...cli.env, EBCLI_TOKEN: erin } });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/admin/);
  });

  it('workspaces members add, list and remove; unknown roles are usage errors', async () => {
    const ws = (await runCli(['workspaces', 'create', 'Team A', '--json'], { env: cli.env })).json().id as string;
    const added = await runCli(['workspaces', 'members', 'add', ws, 'alice', '--role', 'read', '--json'], {
      env: cli.env,
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toEqual([
      { workspace: 'admin', role: 'owner' },
      { workspace: 'alice', role: 'read' },
    ]);
    const listed = await runCli(['workspaces', 'members', 'list', ws], { env: cli.env });
    expect(listed.stdout).toBe('admin\towner\nalice\tread\n');
    const viewer = await runCli(['workspaces', 'members', 'add', ws, 'bob', '--role', 'viewer'], { env: cli.env });
    expect(viewer.code).toBe(2);
    const createViewer = await runCli(['workspaces', 'create', 'Team B', '--member', 'bob:viewer'], { env: cli.env });
    expect(createViewer.code).toBe(2);
    expect(createViewer.stderr).toMatch(/unknown role viewer/);
    const ghost = await runCli(['workspaces', 'members', 'add', ws, 'ghost'], { env: cli.env });
    expect(ghost.code).toBe(6);

    const set = await runCli(['workspaces', 'members', 'set', ws, 'alice', '--role', 'collaborator', '--json'], {
      env: cli.env,
    });
    expect(set.code, set.stderr).toBe(0);
    expect(set.json()).toContainEqual({ workspace: 'alice', role: 'collaborator' });
    expect((await runCli(['workspaces', 'members', 'set', ws, 'alice'], { env: cli.env })).code).toBe(2);

    // alice logs in with the CLI, in a HOME of her own, and sees only her workspaces.
    const aliceHome = tempHome();
    try {
      const caFile = join(cli.t.dataDir, 'tls', 'ca.pem');
      const loggedIn = await runCli(
        ['login', '--url', cli.t.url, '--ca-file', caFile, '--email', 'alice@example.test', '--password-stdin'],
        { env: aliceHome.env, input: 'alice-secret-pw\n' },
      );
      expect(loggedIn.code, loggedIn.stderr).toBe(0);
      const listed = await runCli(['workspaces', 'list', '--json'], { env: aliceHome.env });
      expect(listed.json().map((w: { id: string }) => w.id)).toEqual(['alice', ws]);
    } finally {
      aliceHome.cleanup();
    }

    const alice = (await login('alice@example.test', 'alice-secret-pw')).text;
    expect((await runCli(['workspaces', 'show', ws], { env: { ...cli.env, EBCLI_TOKEN: alice } })).code).toBe(0);
    const removed = await runCli(['workspaces', 'members', 'remove', ws, 'alice'], { env: cli.env });
    expect(removed.code, removed.stderr).toBe(0);
    expect((await runCli(['workspaces', 'show', ws], { env: { ...cli.env, EBCLI_TOKEN: alice } })).code).toBe(4);
    expect((await runCli(['workspaces', 'members', 'remove', ws, 'alice'], { env: cli.env })).code).toBe(6);
  });

  it('users remove needs --yes without a TTY, then revokes the tokens', async () => {
    const token = (await login('alice@example.test', 'alice-secret-pw')).text;
    const unconfirmed = await runCli(['users', 'remove', 'alice'], { env: cli.env });
    expect(unconfirmed.code).toBe(2);
    expect((await cli.t.call('GET', '/services/profile', { token })).status).toBe(200);
    const removed = await runCli(['users', 'remove', 'alice', '--yes'], { env: cli.env });
    expect(removed.code, removed.stderr).toBe(0);
    expect((await cli.t.call('GET', '/services/profile', { token })).status).toBe(401);
    expect((await runCli(['users', 'remove', 'alice', '--yes'], { env: cli.env })).code).toBe(6);
  });
});
