import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, useCliServer } from './helpers.js';
import { writeBoxFolder } from './apply-helpers.js';

// Real CLI, server and agents: the configure script fails when FAIL is 1.
describe('--max-failures and bulk terminate', () => {
  const cli = useCliServer();
  let root: string;
  let doc: string;
  const opts = () => ({ env: cli.env, timeoutMs: 150_000 });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ebcli-budget-'));
    writeBoxFolder(root, {
      name: 'Budget Box',
      events: { configure: 'if [ "{{ FAIL }}" = "1" ]; then echo failing >&2; exit 1; fi' },
      variables: [{ name: 'FAIL', value: '0' }],
    });
    doc = join(root, 'app.yaml');
    writeFileSync(
      doc,
      [
        'b-1:',
        '  box: Budget Box',
        '  variables:',
        "    FAIL: '1'",
        'b-2:',
        '  box: Budget Box',
        '  variables:',
        "    FAIL: '1'",
        'b-3:',
        '  box: Budget Box',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await runCli(['instances', 'terminate', '--tag', 'budget', '--force', '--yes', '--timeout', '60s'], opts());
    rmSync(root, { recursive: true, force: true });
  });

  it('apply stops starting targets once the budget is spent and names those never started', async () => {
    const r = await runCli(
      ['apply', doc, '-t', 'budget', '--concurrency', '1', '--max-failures', '0', '--json', '--timeout', '90s'],
      opts(),
    );
    expect(r.code).toBe(1);
    const { error } = r.json();
    expect(error.message).toBe('1 of 3 targets failed; 2 never started: b-2, b-3');
    expect(error.details.results.map((x: any) => [x.name, x.outcome])).toEqual([
      ['b-1', 'failed'],
      ['b-2', 'not-started'],
      ['b-3', 'not-started'],
    ]);
    expect(error.details.plan.map((p: any) => p.action)).toEqual(['create', 'create', 'create']);
    const names = (await cli.t.call('GET', '/services/instances')).body.map((i: any) => i.name);
    expect(names).toEqual(['b-1']);

    const rest = await runCli(['apply', doc, '-t', 'budget', '--concurrency', '1', '--timeout', '90s'], opts());
    expect(rest.code).toBe(5);
    expect(rest.stderr).toContain('! b-1 (');
    expect(rest.stdout).toMatch(/\tb-2|failed/);
  }, 240_000);

  it('a lifecycle command with a budget leaves the rest not started, in the table and in --json', async () => {
    const r = await runCli(
      ['instances', 'reconfigure', '--tag', 'budget', '--concurrency', '1', '--max-failures', '0', '--yes', '--json'],
      opts(),
    );
    const results = r.json().error.details as any[];
    expect(results).toHaveLength(3);
    const first = results.findIndex((x) => x.outcome === 'failed');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(results.slice(first + 1).every((x) => x.outcome === 'not-started')).toBe(true);
    expect(results.slice(first + 1).length).toBeGreaterThan(0);
    const table = await runCli(
      ['instances', 'reconfigure', '--tag', 'budget', '--concurrency', '1', '--max-failures', '0', '--yes'],
      opts(),
    );
    expect(table.stdout).toMatch(/\tnot-started\tnot started: the failure budget/);
    expect(table.stderr).toMatch(/never started: i-/);
    const bad = await runCli(['instances', 'reconfigure', '--tag', 'budget', '--max-failures', 'x%', '--yes'], opts());
    expect(bad.code).toBe(2);
  }, 240_000);

  it('a bulk terminate counts instances already terminated as done', async () => {
    const list = (await cli.t.call('GET', '/services/instances')).body as any[];
    const ok = list.find((i) => i.name === 'b-3');
    const one = await runCli(['instances', 'terminate', ok.id, '--force', '--yes', '--timeout', '60s'], opts());
    expect(one.code, one.stderr).toBe(0);
    const all = await runCli(
      ['instances', 'terminate', '--tag', 'budget', '--force', '--yes', '--json', '--timeout', '60s'],
      opts(),
    );
    expect(all.code, all.stdout).toBe(0);
    const mine = (all.json() as any[]).find((x) => x.id === ok.id);
    expect(mine).toMatchObject({ outcome: 'done', state: 'terminated', message: 'already terminated' });
  }, 180_000);
});
