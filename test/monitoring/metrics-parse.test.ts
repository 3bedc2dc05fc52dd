import { describe, expect, it } from 'vitest';
import { parseGraphite, parsePerfdata, parsePrometheus } from '../../src/shared/monitoring/metrics-parse.js';
import { messageOf, statusOf } from '../../src/shared/monitoring/status.js';
import { percentStateChange, isFlapping } from '../../src/shared/monitoring/flapping.js';
import { transition } from '../../src/server/monitoring/transition.js';

describe('metric extraction', () => {
  it('reads Nagios perfdata after the bar, quoted labels and units included', () => {
    const out =
      "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968 'free space'=56%;;;; load1=0.5\nsecond line | x=-1.5e2";
    expect(parsePerfdata(out)).toEqual([
      { name: '/', value: 2643 },
      { name: 'free_space', value: 56 },
      { name: 'load1', value: 0.5 },
      { name: 'x', value: -150 },
    ]);
    expect(parsePerfdata('OK no perfdata')).toEqual([]);
  });

  it('reads Prometheus text, labels as name suffixes, comments and junk skipped', () => {
    const out = [
      '# HELP http_requests_total requests',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'cpu_usage 12.5',
      'not a metric line at all',
      'bad_value abc',
    ].join('\n');
    expect(parsePrometheus(out)).toEqual([
      { name: 'http_requests_total.post.200', value: 1027, ts: 1395066363000 },
      { name: 'cpu_usage', value: 12.5 },
    ]);
  });

  it('reads Graphite plaintext with optional epoch seconds', () => {
    expect(parseGraphite('servers.a.cpu 42 1700000000\nservers.a.mem 0.5\nbroken\nx y z w')).toEqual([
      { name: 'servers.a.cpu', value: 42, ts: 1_700_000_000_000 },
      { name: 'servers.a.mem', value: 0.5 },
    ]);
  });

  it('follows the Nagios plugin convention for status and message', () => {
    expect([0, 1, 2, 3, 4, 127, -1].map(statusOf)).toEqual([0, 1, 2, 3, 3, 3, 3]);
    expect(messageOf('CRITICAL - down | t=1\nmore detail')).toBe('CRITICAL - down');
  });
});

describe('flap detection', () => {
  it('weighs recent state changes more, as Nagios does', () => {
    expect(percentStateChange([0, 0, 0, 0])).toBe(0);
    const alternating = Array.from({ length: 21 }, (_, i) => i % 2);
    expect(percentStateChange(alternating)).toBeCloseTo(100);
    const oldChange = [0, 2, ...Array(19).fill(2)];
    const newChange = [...Array(20).fill(0), 2];
    expect(percentStateChange(newChange)).toBeGreaterThan(percentStateChange(oldChange));
    expect(percentStateChange(newChange)).toBeCloseTo(6);
    expect(percentStateChange(oldChange)).toBeCloseTo(4);
  });

  it('starts at the high threshold and stops below the low one (hysteresis)', () => {
    const t = { low: 20, high: 40 };
    const h = [0, 2, 0, 2, 0, 2, 0, 2, 0, 2]; // 9 changes ≈ 45 %
    expect(isFlapping(h, false, t)).toBe(true);
    const calmer = [...Array(15).fill(0), 2, 0, 2, 0, 2]; // 5 recent changes ≈ 28 %
    expect(isFlapping(calmer, false, t)).toBe(false);
    expect(isFlapping(calmer, true, t)).toBe(true);
  });

  it('turns results into alert actions', () => {
    const flap = { low: 20, high: 40 };
    const a = transition(undefined, 2, false, flap);
    expect(a).toMatchObject({ action: 'open', state: { occurrences: 1, flapping: false } });
    const b = transition(a.state, 2, true, flap);
    expect(b).toMatchObject({ action: 'update', state: { occurrences: 2 } });
    expect(transition(b.state, 0, true, flap).action).toBe('resolve');
    expect(transition(undefined, 0, false, flap).action).toBe('none');
  });
});
