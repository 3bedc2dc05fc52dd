import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { seedInstance } from '../cli/helpers.js';
import { createCheck, postResult } from './helpers.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

const MIN = 60_000;
const HOUR = 3_600_000;

describe('metric storage', () => {
  it('extracts samples from check output in the check format and serves them by step and aggregate', async () => {
    const inst = await seedInstance(t);
    await createCheck(t, { name: 'perf', command: 'x', output_metric_format: 'nagios_perfdata' });
    const base = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
    const values = [10, 20, 30, 40];
    for (const [i, v] of values.entries()) {
      const r = await postResult(t, inst.id, 'perf', 0, `OK | load=${v};5;10 mem=${v * 2}MB`, {
        executed: base + i * 15_000,
      });
      expect(r.samples).toBe(2);
    }
    const q = (extra: string) =>
      t.call('GET', `/services/msa/metrics?instance=${inst.id}&metric=load&since=10m&until=${base + 10 * MIN}${extra}`);
    const avg = (await q('&step=1m')).body;
    expect(avg).toMatchObject({ step: 60, aggregate: 'avg', metrics: ['load'] });
    expect(avg.series).toEqual([{ machine: inst.id, metric: 'load', points: [{ ts: base, value: 25 }] }]);
    const pick = async (agg: string) => (await q(`&step=1m&aggregate=${agg}`)).body.series[0].points[0].value;
    expect([await pick('min'), await pick('max'), await pick('last'), await pick('p95')]).toEqual([10, 40, 40, 40]);
    const fine = (await q('&step=30s&aggregate=max')).body.series[0].points;
    expect(fine).toEqual([
      { ts: base, value: 20 },
      { ts: base + 30_000, value: 40 },
    ]);
    const all = (await t.call('GET', `/services/msa/metrics?instance=${inst.id}&since=1h`)).body;
    expect(all.metrics).toEqual(['load', 'mem']);

    expect((await q('&step=500ms')).status).toBe(400);
    expect((await t.call('GET', `/services/msa/metrics?instance=${inst.id}&since=30d&step=1s`)).status).toBe(400);
  });

  it('takes samples the sender extracted, Prometheus and Graphite output too', async () => {
    const inst = await seedInstance(t);
    await createCheck(t, { name: 'prom', command: 'x', output_metric_format: 'prometheus_text' });
    await createCheck(t, { name: 'graphite', command: 'x', output_metric_format: 'graphite_plaintext' });
    expect((await postResult(t, inst.id, 'prom', 0, 'up 1\nreqs{code="200"} 7')).samples).toBe(2);
    expect((await postResult(t, inst.id, 'graphite', 0, `a.b 3 ${Math.floor(Date.now() / 1000)}`)).samples).toBe(1);
    const given = await postResult(t, inst.id, 'prom', 0, 'ignored 1', { metrics: [{ name: 'given.one', value: 5 }] });
    expect(given.samples).toBe(1);
    const names = (await t.call('GET', `/services/msa/metrics?instance=${inst.id}&since=1h`)).body.metrics;
    expect(names).toEqual(['a.b', 'given.one', 'reqs.200', 'up']);
  });

  it('rolls raw samples into minute and hour roll-ups, prunes raw past retention, and serves both', async () => {
    const inst = await seedInstance(t);
    await createCheck(t, { name: 'old', command: 'x' });
    const now = Date.now();
    const start = Math.floor((now - 3 * HOUR) / HOUR) * HOUR;
    // One sample every 10 s for two hours, values 0..719 (given by the sender).
    const metrics = Array.from({ length: 720 }, (_, i) => ({ name: 'cpu.user', value: i, ts: start + i * 10_000 }));
    await postResult(t, inst.id, 'old', 0, 'OK', { metrics });

    const tun = t.server.app.monitoring.tunables;
    const saved = tun.rawRetentionMs;
    tun.rawRetentionMs = HOUR; // everything above is now past raw retention
    try {
      await t.server.app.monitoring.rollUp(now);
      const raw = await t.server.db.selectFrom('metric_samples').select('ts').where('machine', '=', inst.id).execute();
      expect(raw).toEqual([]);

      const url = (step: string, agg: string) =>
        `/services/msa/metrics?instance=${inst.id}&metric=cpu.user&since=2h&until=${start + 2 * HOUR}&step=${step}&aggregate=${agg}`;
      const minutes = (await t.call('GET', url('1m', 'avg'))).body.series[0].points;
      expect(minutes).toHaveLength(120);
      expect(minutes[0]).toEqual({ ts: start, value: 2.5 }); // avg of 0..5
      expect(minutes[119]).toEqual({ ts: start + 119 * MIN, value: 716.5 });
      const maxes = (await t.call('GET', url('10m', 'max'))).body.series[0].points;
      expect(maxes[0]).toEqual({ ts: start, value: 59 });
      const hours = (await t.call('GET', url('1h', 'avg'))).body.series[0].points;
      expect(hours).toEqual([
        { ts: start, value: 179.5 },
        { ts: start + HOUR, value: 539.5 },
      ]);
      const last = (await t.call('GET', url('1h', 'last'))).body.series[0].points;
      expect(last.map((p: any) => p.value)).toEqual([359, 719]);
    } finally {
      tun.rawRetentionMs = saved;
    }
  });
});
