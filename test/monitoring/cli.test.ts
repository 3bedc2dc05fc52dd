import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, seedInstance, useCliServer } from '../cli/helpers.js';
import { runCliInProcess as runCli } from '../cli/in-process.js';
import { until } from './watcher-helpers.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { postResult } from './helpers.js';

const cli = useCliServer();

describe('ebcli checks / alerts / metrics', () => {
  it('creates, lists, shows and deletes checks', { timeout: 60_000 }, async () => {
    const created = await runCli(
      ['checks', 'create', 'web-up', '--command', 'curl -fsS localhost', '--interval', '10s', '--tag', 'web', '--json'],
      {
        env: cli.env,
      },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({ name: 'web-up', interval: 10, target: { tags: ['web'] }, version: 1 });

    const builtin = await runCli(
      [
        'checks',
        'create',
        'disk-root',
        '--builtin',
        'disk',
        '-p',
        'mount=/',
        '--warning',
        '80',
        '--critical',
        '90',
        '--interval',
        '1m',
      ],
      { env: cli.env },
    );
    expect(builtin.code, builtin.stderr).toBe(0);
    const shown = await runCli(['checks', 'show', 'disk-root', '--json'], { env: cli.env });
    expect(shown.json()).toMatchObject({
      builtin: { type: 'disk', params: { mount: '/' } },
      thresholds: { warning: 80, critical: 90 },
      interval: 60,
    });

    const list = await runCli(['checks', 'list'], { env: cli.env });
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    ).toEqual(['disk-root', 'web-up']);

    const both = await runCli(['checks', 'create', 'x', '--command', 'true', '--builtin', 'cpu'], { env: cli.env });
    expect(both.code).toBe(ExitCode.Usage);
    expect(both.stderr).toMatch(/exactly one of --command and --builtin/);

    const del = await runCli(['checks', 'delete', 'web-up'], { env: cli.env });
    expect(del.code, del.stderr).toBe(0);
    const gone = await runCli(['checks', 'show', 'web-up'], { env: cli.env });
    expect(gone.code).toBe(ExitCode.NotFound);
  });

  it('lists, acknowledges and silences alerts; prints metrics as rows in a pipe', { timeout: 60_000 }, async () => {
    const inst = await seedInstance(cli.t, { name: 'metrics-host' });
    await runCli(['checks', 'create', 'probe', '--command', 'probe', '--format', 'nagios_perfdata'], { env: cli.env });
    const now = Date.now();
    await postResult(cli.t, inst.id, 'probe', 2, 'CRITICAL: probe failed | latency=250', { executed: now - 30_000 });

    const open = await runCli(['alerts', '--state', 'critical', '--json'], { env: cli.env });
    expect(open.code, open.stderr).toBe(0);
    const [alert] = open.json();
    expect(alert).toMatchObject({ check: 'probe', instance: inst.id, severity: 'critical', state: 'open' });
    expect((await runCli(['alerts', '--state', 'warning', '--json'], { env: cli.env })).json()).toEqual([]);

    const ack = await runCli(['alerts', 'ack', alert.id, '--json'], { env: cli.env });
    expect(ack.json()).toMatchObject({ acknowledged: true });
    const silence = await runCli(['alerts', 'silence', alert.id, '--for', '30m'], { env: cli.env });
    expect(silence.code, silence.stderr).toBe(0);
    expect(silence.stderr).toMatch(/Silenced probe on .* until \d{4}-/);

    const rows = await runCli(['metrics', 'metrics-host', '--metric', 'latency', '--since', '1h', '--step', '1m'], {
      env: cli.env,
    });
    expect(rows.code, rows.stderr).toBe(0);
    const [line] = rows.stdout.trim().split('\n');
    expect(line!.split('\t')).toEqual(['latency', inst.id, expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), '250']);
    const json = await runCli(['metrics', inst.id, '--json'], { env: cli.env });
    expect(json.json()).toMatchObject({ metrics: ['latency'], aggregate: 'avg', step: 60 });
  });
});

describe('ebcli alerts -f and instances show', () => {
  it('streams alert events as they happen, and shows check states on the instance', { timeout: 60_000 }, async () => {
    const inst = await seedInstance(cli.t, { name: 'followed' });
    await runCli(['checks', 'create', 'followed-check', '--command', 'x'], { env: cli.env });
    const first = await postResult(cli.t, inst.id, 'followed-check', 1, 'WARNING: getting slow');
    const child = spawn(process.execPath, [BIN, 'alerts', '-f', '--instance', inst.id], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...cli.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    try {
      // The listing comes first (a tab-separated row in a pipe), then the live events.
      await until(() => out.includes(first.alert.id) || undefined, 20_000, 'listing');
      await postResult(cli.t, inst.id, 'followed-check', 2, 'CRITICAL: down');
      await until(
        () => /alert: followed-check CRITICAL CRITICAL: down/.test(out) || undefined,
        20_000,
        'alert.update line',
      );
      // Someone else acknowledging it shows too.
      expect((await cli.t.call('PUT', `/services/msa/alerts/${first.alert.id}/ack`)).status).toBe(200);
      await until(() => /alert acknowledged: followed-check by \S+@/.test(out) || undefined, 20_000, 'alert.ack line');
    } finally {
      child.kill('SIGINT');
      await exited;
    }
    const shown = await runCli(['instances', 'show', inst.id, '--json'], { env: cli.env });
    expect(shown.json().checks).toEqual([expect.objectContaining({ check: 'followed-check', status: 'critical' })]);
    const human = await runCli(['instances', 'show', inst.id], { env: cli.env });
    expect(human.stdout).toMatch(/followed-check CRITICAL/);
  });
});

describe('metric chart', () => {
  it('draws one line chart per series for a terminal, with its time range', async () => {
    const { metricCharts } = await import('../../src/cli/render/monitoring.js');
    const plainStyle = await (await import('../../src/cli/render/style.js')).style(false);
    const points = [1, 5, 3, 8, 2].map((value, i) => ({ ts: Date.UTC(2026, 0, 1, 0, i), value }));
    const text = metricCharts(
      {
        instance: 'i-x',
        from: 0,
        to: 0,
        step: 60,
        aggregate: 'max',
        metrics: ['m'],
        series: [{ machine: 'mach', metric: 'm', points }],
      },
      plainStyle,
      80,
    );
    expect(text).toMatch(/^m \(mach, max per 60s\)\n/);
    expect(text).toMatch(/8\.00 ┤/);
    expect(text).toMatch(/1\.00 ┼/);
    expect(text).toContain('2026-01-01T00:00:00.000Z … 2026-01-01T00:04:00.000Z');
  });
});
