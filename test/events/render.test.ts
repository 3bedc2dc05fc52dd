import { describe, expect, it } from 'vitest';
import { EventFormatter, ndjson, resyncNotice } from '../../src/cli/render/events.js';
import type { Style } from '../../src/cli/render/style.js';
import type { EventData, EventType } from '../../src/shared/events.js';
import type { TailEvent } from '../../src/shared/protocol.js';

/** Marks colours as text so the test can see them without terminal codes. */
const tagged: Style = {
  bold: (s) => `<b>${s}</b>`,
  dim: (s) => s,
  red: (s) => `<red>${s}</red>`,
  green: (s) => `<green>${s}</green>`,
  yellow: (s) => `<y>${s}</y>`,
  cyan: (s) => s,
};

let seq = 0;
const ev = <K extends EventType>(type: K, data: EventData<K>, created = '2026-03-01 10:00:00.000000'): TailEvent =>
  ({ seq: ++seq, type, instance: 'i-abc123', operation: 'wf-1', created, data }) as TailEvent;

describe('event lines', () => {
  it('shows a header per script, its lines with box:event, and its exit code and duration', () => {
    const f = new EventFormatter(tagged);
    const out = [
      f.format(ev('script.start', { executionId: 'x1', event: 'install', box: 'Web', machine: 'm-1' })),
      f.format(ev('script.output', { executionId: 'x1', stream: 'stdout', line: 'hello' })),
      f.format(ev('script.output', { executionId: 'x1', stream: 'stderr', line: 'warn' })),
      f.format(ev('script.output', { executionId: 'x1', stream: 'stdout', lines: ['a', 'b'] })),
      f.format(ev('script.output', { executionId: 'x1', stream: 'stdout', line: 'long ', partial: true })),
      f.format(ev('script.output', { executionId: 'x1', stream: 'stdout', line: 'line' })),
      f.format(
        ev(
          'script.finish',
          { executionId: 'x1', event: 'install', box: 'Web', status: 'failed', exitCode: 3 },
          '2026-03-01 10:00:01.500000',
        ),
      ),
      f.format(
        ev('instance.state', { id: 'i-abc123', state: 'unavailable', operation: { event: 'deploy' }, updated: '' }),
      ),
    ]
      .filter((l) => l !== undefined)
      .join('\n')
      .split('\n')
      .map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} {2}/, ''));
    expect(out).toEqual([
      'i-abc123  <b>==> Web:install</b> on m-1',
      'i-abc123  Web:install  hello',
      'i-abc123  Web:install  <red>warn</red>',
      'i-abc123  Web:install  a',
      'i-abc123  Web:install  b',
      'i-abc123  Web:install  long line',
      'i-abc123  <b><red><== Web:install (failed, exit 3, 1.5 s)</red></b>',
      'i-abc123  state <red>unavailable</red> (deploy)',
    ]);
    expect(f.eventOf('x1')).toBe('install');
  });

  it('says who acknowledged or silenced an alert, and until when', () => {
    const f = new EventFormatter(tagged);
    const base = { alert: 'a-1', machine: 'm-1', check: 'disk', checkId: 'c-1', by: 'ops@example.test' };
    expect(f.format(ev('alert.ack', base))).toBe(
      '10:00:00.000  i-abc123  alert acknowledged: disk by ops@example.test',
    );
    expect(f.format(ev('alert.silence', { ...base, until: '2026-03-01 12:00:00.000000' }))).toBe(
      '10:00:00.000  i-abc123  alert silenced: disk until 2026-03-01 12:00:00.000000 by ops@example.test',
    );
  });

  it('names the gap in a resync notice and marks it in NDJSON', () => {
    const resync = { reason: 'pruned' as const, requested: 4, first: 31, head: 40, epoch: 'e' };
    expect(resyncNotice(resync)).toBe(
      '!! history gap: events 5..30 are no longer kept by the server; continuing from event 31',
    );
    expect(resyncNotice({ ...resync, reason: 'epoch', first: 1 })).toMatch(/reset on the server/);
    expect(JSON.parse(ndjson({ kind: 'resync', resync })!)).toEqual({ type: 'resync', ...resync });
    expect(ndjson({ kind: 'disconnected', code: 1006, reason: '', retryInMs: 10 })).toBeUndefined();
  });
});
