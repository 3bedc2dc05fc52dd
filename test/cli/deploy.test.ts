import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

/** Writes a one-box folder whose install script runs `install`. */
function boxFolder(root: string, name: string, install: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'events'), { recursive: true });
  writeFileSync(
    join(dir, 'box.yaml'),
    [
      `name: ${name}`,
      'requirements:',
      '- linux',
      'schema: http://elasticbox.net/schemas/boxes/script',
      'variables:',
      '- name: GREETING',
      '  type: Text',
      '  value: hello',
      '  visibility: public',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'events', 'install'), `#!/bin/bash\n${install}\n`, { mode: 0o700 });
  return dir;
}

// Real deploys: the CLI imports a box folder, the server runs the workflow and a local agent runs the scripts.
describe('deploy, logs, wait and terminate end to end', () => {
  const cli = useCliServer();
  let boxes: string;
  const cleanup: string[] = [];

  beforeAll(() => {
    boxes = mkdtempSync(join(tmpdir(), 'ebcli-boxes-'));
  });

  // Runs before the server stops: vitest runs after-hooks in reverse order.
  afterAll(async () => {
    for (const id of cleanup) {
      await runCli(['instances', 'terminate', id, '--force', '--yes', '--timeout', '60s'], { env: cli.env });
      await runCli(['instances', 'delete', id, '--yes', '--timeout', '30s'], { env: cli.env });
    }
    rmSync(boxes, { recursive: true, force: true });
  });

  it('deploys a box folder and waits until it runs (exit 0)', async () => {
    const dir = boxFolder(boxes, 'E2E Hello', 'echo "install says {{ GREETING }}"');
    const r = await runCli(
      ['deploy', dir, '-v', 'GREETING=bonjour', '-t', 'e2e', '--name', 'e2e-ok', '--timeout', '90s'],
      {
        env: cli.env,
        timeoutMs: 120_000,
      },
    );
    expect(r.stderr).toContain('Importing box folder');
    expect(r.code).toBe(0);
    const [id, outcome, state] = r.stdout.trim().split('\t');
    cleanup.push(id!);
    expect([outcome, state]).toEqual(['done', 'running']);
    const logs = await runCli(['instances', 'logs', id!, '--event', 'install'], { env: cli.env });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('install says bonjour');
    const list = await runCli(['instances', 'list', '-t', 'e2e', '--columns', 'id,name,state'], { env: cli.env });
    expect(list.stdout).toBe(`${id}\te2e-ok\trunning\n`);
    const waited = await runCli(['wait', id!], { env: cli.env });
    expect(waited.code).toBe(0);
    // The name is taken: refused by its code (already_exists), with the hint to use apply.
    const again = await runCli(['deploy', dir, '--name', 'e2e-ok', '--no-wait', '--json'], { env: cli.env });
    expect(again.code).toBe(1);
    const [refused] = again.json().error.details;
    expect(refused).toMatchObject({ outcome: 'error', code: 'already_exists' });
    expect(refused.message).toContain('run `ebcli apply` instead');
  });

  it('reports a failed deploy with its failing activity (exit 1)', async () => {
    const dir = boxFolder(boxes, 'E2E Broken', 'echo "about to fail"; exit 3');
    const r = await runCli(['deploy', dir, '--name', 'e2e-broken', '--timeout', '90s', '--json'], {
      env: cli.env,
      timeoutMs: 120_000,
    });
    expect(r.code).toBe(1);
    const { error } = r.json();
    expect(error).toMatchObject({ code: 'failed', exitCode: 1 });
    const [result] = error.details;
    cleanup.push(result.id);
    expect(result.outcome).toBe('failed');
    expect(result.activity.join('\n')).toMatch(/exit code 3/);
  });

  it('returns at once with --no-wait', async () => {
    const dir = boxFolder(boxes, 'E2E Quick', 'true');
    const r = await runCli(['deploy', dir, '--no-wait', '--name', 'e2e-quick'], { env: cli.env });
    expect(r.code).toBe(0);
    const [id, outcome] = r.stdout.trim().split('\t');
    cleanup.push(id!);
    expect(outcome).toBe('accepted');
    const waited = await runCli(['wait', id!, '--timeout', '90s'], { env: cli.env, timeoutMs: 120_000 });
    expect(waited.code).toBe(0);
  });

  it('terminates and deletes', async () => {
    const id = cleanup.shift()!;
    const term = await runCli(['terminate', id, '--yes', '--timeout', '60s'], { env: cli.env, timeoutMs: 90_000 });
    expect(term.stdout).toBe(`${id}\tdone\tterminated\n`);
    const del = await runCli(['delete', id, '--yes'], { env: cli.env });
    expect(del.stdout).toBe(`${id}\tgone\tdeleted\n`);
    expect((await runCli(['instances', 'show', id], { env: cli.env })).code).toBe(6);
  });

  it('deploys an application box: one instance per service', async () => {
    const upload = await cli.t.call('POST', '/services/blobs/upload/install', {
      raw: '#!/bin/bash\necho "service {{ environment }}"\n',
      headers: { 'content-type': 'text/x-shellscript' },
    });
    const script = await cli.t.call('POST', '/services/boxes', {
      body: { name: 'CLI App Part', requirements: ['linux'], events: { install: { url: upload.body.url } } },
    });
    const app = await cli.t.call('POST', '/services/boxes', {
      body: {
        schema: 'http://elasticbox.net/schemas/boxes/application',
        name: 'CLI App',
        services: [
          { name: 'one', box: { id: script.body.id } },
          { name: 'two', box: { id: script.body.id } },
        ],
      },
    });
    expect(app.status).toBe(200);
    const r = await runCli(['deploy', 'CLI App', '--name', 'cliapp', '-t', 'apps', '--timeout', '90s'], {
      env: cli.env,
      timeoutMs: 120_000,
    });
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    for (const [id] of lines) cleanup.push(id!);
    expect(r.code, r.stderr).toBe(0);
    expect(lines.map(([, outcome, state]) => [outcome, state])).toEqual([
      ['done', 'running'],
      ['done', 'running'],
    ]);
    const list = await runCli(['instances', 'list', '-t', 'apps', '--columns', 'name,state'], { env: cli.env });
    expect(list.stdout.split('\n').filter(Boolean).sort()).toEqual(['cliapp-one\trunning', 'cliapp-two\trunning']);
    const refused = await runCli(['deploy', 'CLI App', '-v', 'X=1'], { env: cli.env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/-v does not apply to application box CLI App/);
  });

  it('names the box that cannot be found (exit 6)', async () => {
    const r = await runCli(['deploy', 'No Such Box'], { env: cli.env });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('No Such Box');
  });

  it('deploys an application document, importing the box folders beside it, and binds the client', async () => {
    const app = join(process.cwd(), 'examples', 'boxes', 'greeting-app.yaml');
    const r = await runCli(['deploy', app, '--timeout', '90s'], { env: cli.env, timeoutMs: 120_000 });
    expect(r.stderr).toContain('Importing box folder');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(lines).toHaveLength(2);
    for (const [id, outcome, state] of lines) {
      cleanup.push(id!);
      expect(outcome).toBe('done');
      // The client may already be in its automatic reconfigure when its deploy is reported.
      expect(['running', 'processing']).toContain(state);
    }
    // The client is reconfigured once the service it binds to has deployed; its configure fetches the greeting.
    // (Results print in the order the deploys end, so look at both instances' logs.)
    const fetched =
      /Greeting Client: fetched http:\/\/127\.0\.0\.1:\d+\/greeting\.txt: Hello from the Greeting Service/;
    let text = '';
    for (let i = 0; i < 60 && !fetched.test(text); i++) {
      await new Promise((res) => setTimeout(res, 500));
      const logs = await Promise.all(lines.map(([id]) => runCli(['instances', 'logs', id!], { env: cli.env })));
      text = logs.map((l) => l.stdout).join('\n');
    }
    expect(text).toMatch(fetched);
  }, 150_000);
});
