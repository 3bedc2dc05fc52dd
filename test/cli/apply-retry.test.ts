import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, useCliServer, type CliResult } from './helpers.js';
import { writeBoxFolder } from './apply-helpers.js';

const NAMES = ['r-1', 'r-2', 'r-3'];

/** Script runs per `instance:event`, from the counter file the scripts append to. */
function tally(file: string): Record<string, number> {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  return lines.reduce<Record<string, number>>((m, l) => ((m[l] = (m[l] ?? 0) + 1), m), {});
}

/** Script runs a plan announces, per `instance:event` (scripts are `Box:event`). */
function planned(plan: any[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of plan)
    for (const s of p.scripts) {
      const k = `${p.name}:${s.split(':').at(-1)}`;
      out[k] = (out[k] ?? 0) + 1;
    }
  return out;
}

const add = (a: Record<string, number>, b: Record<string, number>) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};

// A CI job retried: the real CLI is SIGKILLed at several points of `apply` and run again until it
// exits 0. Real server and agents; every script appends `<instance>:<event>` to a counter file.
describe('apply killed at random points and re-run', () => {
  const cli = useCliServer();
  let root: string;
  let counter: string;
  let doc: string;

  const writeDoc = (greeting: string) =>
    writeFileSync(
      doc,
      NAMES.map((n) =>
        [
          `${n}:`,
          '  box: Retry Box',
          '  tags: [retry]',
          '  variables:',
          `    WHO: ${n}`,
          `    GREETING: ${n === 'r-2' ? greeting : 'hi'}`,
        ].join('\n'),
      ).join('\n') + '\n',
    );

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ebcli-retry-'));
    // Scripts append to a counter file here: as root, machines run as an unprivileged user.
    chmodSync(root, 0o777);
    counter = join(root, 'counter');
    const line = (event: string) => `echo "{{ WHO }}:${event}" >> ${counter}`;
    writeBoxFolder(root, {
      name: 'Retry Box',
      // Installs outlast the first three kill points (350, 700 and 1200 ms after each start): a CLI
      // that starts faster must not reach the end between them.
      events: { install: `${line('install')}\nsleep 3`, configure: line('configure'), start: line('start') },
      variables: [
        { name: 'WHO', value: 'nobody' },
        { name: 'GREETING', value: 'hello' },
      ],
    });
    doc = join(root, 'app.yaml');
  });
  afterAll(async () => {
    await runCli(['instances', 'terminate', '--tag', 'retry', '--force', '--yes', '--timeout', '60s'], {
      env: cli.env,
    });
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs apply, SIGKILLing it after each delay in turn, then without a kill until it exits 0. */
  async function applyUntilDone(delays: number[]): Promise<{ killed: number; last: CliResult }> {
    let killed = 0;
    let lastErr = '';
    for (const ms of delays) {
      const r = await runCli(['apply', doc, '--timeout', '90s'], {
        env: cli.env,
        timeoutMs: 120_000,
        onSpawn: (child) => setTimeout(() => child.kill('SIGKILL'), ms),
      });
      if (r.signal === 'SIGKILL') killed++;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const last = await runCli(['apply', doc, '--timeout', '90s'], { env: cli.env, timeoutMs: 120_000 });
      if (last.code === 0) return { killed, last };
      lastErr = `${last.code}: ${last.stderr.slice(-2000)}`;
    }
    throw new Error(`apply never exited 0; last: ${lastErr}`);
  }

  it('ends with exactly the requested instances, each script run as often as the plan said', async () => {
    writeDoc('hi');
    const dry = await runCli(['apply', doc, '--dry-run', '--json'], { env: cli.env });
    expect(dry.code, dry.stderr).toBe(0);
    const plan = dry.json().plan;
    expect(plan.map((p: any) => p.action)).toEqual(['create', 'create', 'create']);
    const expected = planned(plan);
    expect(Object.keys(expected)).toHaveLength(9);

    const { killed } = await applyUntilDone([350, 700, 1200, 2000, 3000]);
    expect(killed).toBeGreaterThanOrEqual(3);
    const instances = (await cli.t.call('GET', '/services/instances')).body as any[];
    expect(instances.map((i) => i.name).sort()).toEqual(NAMES);
    expect(instances.every((i) => i.state === 'done')).toBe(true);
    expect(tally(counter)).toEqual(expected);

    const again = await runCli(['apply', doc, '--json'], { env: cli.env });
    expect(again.code).toBe(0);
    expect(again.json().plan.map((p: any) => p.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);

    // A changed variable: only r-2 reconfigures, once, however often the run is cut short.
    writeDoc('bonjour');
    const dry2 = await runCli(['apply', doc, '--dry-run', '--json'], { env: cli.env });
    const plan2 = dry2.json().plan;
    expect(plan2.map((p: any) => p.action)).toEqual(['unchanged', 'update', 'unchanged']);
    expect(plan2[1].reasons).toEqual([
      { kind: 'variable', name: 'GREETING', change: 'changed', requires: 'reconfigure' },
    ]);
    await applyUntilDone([400, 900, 1500]);
    expect(tally(counter)).toEqual(add(expected, planned(plan2)));
    expect(((await cli.t.call('GET', '/services/instances')).body as any[]).map((i) => i.name).sort()).toEqual(NAMES);
  }, 600_000);
});
