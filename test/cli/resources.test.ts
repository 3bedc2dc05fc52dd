import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

describe('workspaces, boxes and providers commands', () => {
  const cli = useCliServer();

  it('workspaces create, show and list (also as the old `workspaces` verb)', async () => {
    const created = await runCli(['workspaces', 'create', 'Project Elastic', '--json'], { env: cli.env });
    expect(created.code).toBe(0);
    const id = created.json().id as string;
    expect(id).toBe('project');
    const shown = await runCli(['workspaces', 'show', id], { env: cli.env });
    expect(shown.stdout).toContain('name\tProject Elastic');
    const listed = await runCli(['workspaces'], { env: cli.env });
    expect(listed.stdout.split('\n')[0]).toBe('admin\tadmin\tpersonal');
    expect(listed.stdout).toContain('project\tProject Elastic\tteam');
  });

  it('boxes list, show, versions and delete', async () => {
    const imported = await runCli(['boxes', 'import', 'examples/boxes/Hello Web', '--json'], { env: cli.env });
    expect(imported.code).toBe(0);
    const list = await runCli(['boxes', '--json'], { env: cli.env });
    const box = (list.json() as { id: string; name: string }[]).find((b) => b.name === 'Hello Web')!;
    expect(box).toBeTruthy();
    const linux = await runCli(['boxes', 'list', '-r', 'linux', '--workspace', 'admin'], { env: cli.env });
    expect(linux.stdout).toContain(`${box.id}\tHello Web\tadmin\tscript\tlinux`);
    const shown = await runCli(['boxes', 'show', box.id], { env: cli.env });
    expect(shown.stdout).toMatch(/variables\t.*GREETING:Text=/);
    const versions = await runCli(['boxes', 'versions', box.id, '--json'], { env: cli.env });
    expect(versions.code).toBe(0);
    expect(Array.isArray(versions.json())).toBe(true);
    const removed = await runCli(['boxes', 'delete', box.id, '--json'], { env: cli.env });
    expect(removed.json()).toEqual({ id: box.id, deleted: true });
    expect((await runCli(['boxes', 'show', box.id], { env: cli.env })).code).toBe(6);
  });

  it('providers create, list, show, sync and delete', async () => {
    const created = await runCli(['providers', 'create', 'sandbox-2', '--description', 'for tests', '--json'], {
      env: cli.env,
    });
    expect(created.code).toBe(0);
    const id = created.json().id as string;
    const list = await runCli(['providers', 'list'], { env: cli.env });
    expect(list.stdout).toContain(`${id}\tsandbox-2\tTest Provider\tadmin`);
    const shown = await runCli(['providers', 'show', id, '--json'], { env: cli.env });
    expect(shown.json()).toMatchObject({ id, name: 'sandbox-2', description: 'for tests' });
    expect((await runCli(['providers', 'sync', id], { env: cli.env })).code).toBe(0);
    expect((await runCli(['providers', 'delete', id], { env: cli.env })).code).toBe(0);
  });

  it('providers create --type SSH reads the key from --private-key-file; it is never shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebcli-ssh-key-'));
    try {
      const key = join(dir, 'id_rsa');
      const pem = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      }).privateKey;
      writeFileSync(key, pem, { mode: 0o600 });
      const args = ['providers', 'create', 'lab', '--type', 'SSH', '-f', 'hosts=10.0.0.5,10.0.0.6:2222'];
      const created = await runCli([...args, '-f', 'username=deploy', '--private-key-file', key, '--json'], {
        env: cli.env,
      });
      expect(created.code, created.stderr).toBe(0);
      expect(created.json()).toMatchObject({
        type: 'SSH',
        hosts: ['10.0.0.5:22', '10.0.0.6:2222'],
        username: 'deploy',
      });
      expect(created.stdout + created.stderr).not.toContain('PRIVATE KEY');
      const shown = await runCli(['providers', 'show', created.json().id], { env: cli.env });
      expect(shown.stdout).toMatch(/hosts\s+10\.0\.0\.5:22,10\.0\.0\.6:2222/);
      expect(shown.stdout).toMatch(/username\s+deploy/);
      expect(shown.stdout).not.toContain('PRIVATE KEY');
      const missing = await runCli([...args, '-f', 'username=x', '--private-key-file', join(dir, 'none')], {
        env: cli.env,
      });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--private-key-file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a provider field without a value, naming the flag', async () => {
    const r = await runCli(['providers', 'create', 'x', '-f', 'oops'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--field');
  });
});
