import { chmodSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, useCliServer } from './helpers.js';
import { count, writeBoxFolder } from './apply-helpers.js';

/** Lines of the counter file the scripts append to. */
const counted = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
const tally = (lines: string[]) => lines.reduce<Record<string, number>>((m, l) => ((m[l] = (m[l] ?? 0) + 1), m), {});

// Real CLI, real server, real local agents running the scripts; scripts append to a counter file.
describe('apply, instances set and instances pull', () => {
  const cli = useCliServer();
  let root: string;
  let counter: string;
  let dir: string;
  const ids: string[] = [];
  const spec = () => ({
    name: 'Apply Box',
    events: {
      // "slow" keeps a deploy in progress long enough for a second apply to meet it.
      install: `${count(counter, 'install')}\necho "install {{ GREETING }}"\n{% if GREETING == "slow" %}sleep 4{% endif %}`,
      configure: `${count(counter, 'configure')}\necho "configure {{ GREETING }}"`,
      start: count(counter, 'start'),
    },
    variables: [{ name: 'GREETING', value: 'hello' }],
  });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ebcli-apply-'));
    // Scripts append to a counter file here: as root, machines run as an unprivileged user.
    chmodSync(root, 0o777);
    counter = join(root, 'counter');
    dir = writeBoxFolder(root, spec());
  });
  afterAll(async () => {
    for (const id of ids) {
      await runCli(['instances', 'terminate', id, '--force', '--yes', '--timeout', '60s'], { env: cli.env });
    }
    rmSync(root, { recursive: true, force: true });
  });

  const apply = (...args: string[]) =>
    runCli(['apply', dir, ...(args.includes('--name') ? [] : ['--name', 'app-1']), '--timeout', '90s', ...args], {
      env: cli.env,
      timeoutMs: 120_000,
    });

  it('plans a create with --dry-run and changes nothing, then creates, then leaves it alone', async () => {
    const dry = await apply('--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json().plan).toEqual([
      expect.objectContaining({
        name: 'app-1',
        action: 'create',
        operation: 'deploy',
        scripts: ['Apply Box:install', 'Apply Box:configure', 'Apply Box:start'],
      }),
    ]);
    expect((await cli.t.call('GET', '/services/instances')).body).toHaveLength(0);
    expect((await cli.t.call('GET', '/services/boxes')).body.filter((b: any) => b.name === 'Apply Box')).toHaveLength(
      0,
    );

    const first = await apply();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('+ app-1: create from Apply Box');
    const [id, outcome] = first.stdout.trim().split('\t');
    ids.push(id!);
    expect(outcome).toBe('done');
    expect(tally(counted(counter))).toEqual({ install: 1, configure: 1, start: 1 });

    const again = await apply('--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().plan[0]).toMatchObject({ action: 'unchanged', id, operation: 'none', scripts: [] });
    expect(tally(counted(counter))).toEqual({ install: 1, configure: 1, start: 1 });
  }, 180_000);

  it('reconfigures for a changed variable, naming it, and reinstalls for a changed install script', async () => {
    const dry = await apply('-v', 'GREETING=hi', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(
      [
        `~ app-1 (${ids[0]}): update`,
        '    variable GREETING changed → reconfigure',
        '    reconfigure runs 1 script(s): Apply Box:configure',
        'Plan: 0 to create, 1 to update, 0 unchanged.',
        '',
      ].join('\n'),
    );
    const set = await apply('-v', 'GREETING=hi', '--json');
    expect(set.code, set.stderr).toBe(0);
    expect(set.json().results[0]).toMatchObject({ action: 'update', operation: 'reconfigure', outcome: 'done' });
    expect(tally(counted(counter))).toEqual({ install: 1, configure: 2, start: 1 });
    expect((await apply('-v', 'GREETING=hi', '--json')).json().plan[0].action).toBe('unchanged');

    const s = spec();
    s.events.install = `${s.events.install}\necho v2`;
    writeBoxFolder(root, s);
    const dry2 = await apply('-v', 'GREETING=hi', '--dry-run', '--json');
    expect(dry2.json().plan[0]).toMatchObject({
      action: 'update',
      operation: 'reinstall',
      reasons: [{ kind: 'script', name: 'Apply Box:install', change: 'changed', requires: 'reinstall' }],
      scripts: ['Apply Box:install', 'Apply Box:configure'],
    });
    const re = await apply('-v', 'GREETING=hi', '--json');
    expect(re.code, re.stderr).toBe(0);
    expect(re.json().plan[0]).toMatchObject({ action: 'update', operation: 'reinstall', pull: true });
    expect(re.json().results[0]).toMatchObject({ operation: 'reinstall', outcome: 'done' });
    expect(tally(counted(counter))).toEqual({ install: 2, configure: 3, start: 1 });
    const third = await apply('-v', 'GREETING=hi', '--json');
    expect(third.json().plan[0].action).toBe('unchanged');
    expect(tally(counted(counter))).toEqual({ install: 2, configure: 3, start: 1 });
  }, 240_000);

  it('instances set reconfigures by default, not with --no-reconfigure; an unchanged value does nothing', async () => {
    const env = { env: cli.env, timeoutMs: 120_000 };
    const quiet = await runCli(
      ['instances', 'set', 'app-1', '-v', 'GREETING=quiet', '--no-reconfigure', '--json'],
      env,
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.json()).toMatchObject({ outcome: 'done', message: expect.stringContaining('not reconfigured') });
    expect(tally(counted(counter)).configure).toBe(3);
    const loud = await runCli(['instances', 'set', 'app-1', '-v', 'GREETING=loud'], env);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stdout).toMatch(new RegExp(`^${ids[0]}\\tdone\\trunning`));
    expect(tally(counted(counter)).configure).toBe(4);
    const logs = await runCli(['instances', 'logs', ids[0]!, '--event', 'configure'], env);
    expect(logs.stdout).toContain('configure loud');
    const same = await runCli(['instances', 'set', ids[0]!, '-v', 'GREETING=loud'], env);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('unchanged');
    expect(tally(counted(counter)).configure).toBe(4);
    const unknown = await runCli(['instances', 'set', 'no-such-name', '-v', 'GREETING=x'], env);
    expect(unknown.code).toBe(6);
  }, 180_000);

  it('instances pull moves to the latest version and runs what it requires', async () => {
    const s = spec();
    s.events.install = `${s.events.install}\necho v2`;
    s.events.configure = `${s.events.configure}\necho v3`;
    writeBoxFolder(root, s);
    const imported = await runCli(['boxes', 'import', dir, '--json'], { env: cli.env });
    expect(imported.json().boxes[0].action).toBe('versioned');
    const pulled = await runCli(['instances', 'pull', 'app-1', '--json', '--timeout', '90s'], {
      env: cli.env,
      timeoutMs: 120_000,
    });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.json()).toMatchObject({
      operation: 'reconfigure',
      outcome: 'done',
      box: imported.json().boxes[0].versionId,
      changes: [{ kind: 'script', name: 'Apply Box:configure', change: 'changed', requires: 'reconfigure' }],
      scripts: ['Apply Box:configure'],
    });
    expect(tally(counted(counter))).toEqual({ install: 2, configure: 5, start: 1 });
    const again = await runCli(['instances', 'pull', 'app-1', '--json'], { env: cli.env });
    expect(again.json()).toMatchObject({ operation: 'pull', outcome: 'done', changes: [] });
  }, 180_000);

  it('waits for an operation in progress instead of starting another', async () => {
    const before = tally(counted(counter));
    const started = await apply('--name', 'app-2', '-v', 'GREETING=slow', '--no-wait');
    expect(started.code, started.stderr).toBe(0);
    const [id, outcome] = started.stdout.trim().split('\t');
    ids.push(id!);
    expect(outcome).toBe('accepted');
    const again = await apply('--name', 'app-2', '-v', 'GREETING=slow', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`app-2 (${id}): waiting for the deploy in progress`);
    expect(again.json().plan[0]).toMatchObject({ action: 'unchanged', id, busy: `deploy of ${id}` });
    const after = tally(counted(counter));
    expect([
      after.install! - before.install!,
      after.configure! - before.configure!,
      after.start! - before.start!,
    ]).toEqual([1, 1, 1]);
  }, 180_000);

  it('deploy refuses an existing name and names apply', async () => {
    const r = await runCli(['deploy', dir, '--name', 'app-1', '--no-wait'], { env: cli.env });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/already exists.*ebcli apply/);
  }, 60_000);
});
