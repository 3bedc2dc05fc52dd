import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../src/cli/render/progress.js';

const plain = { bold: String, dim: String, red: String, green: String, yellow: String, cyan: String };

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, columns: 60, write: (t: string) => writes.push(t) };
}

describe('progress on stderr', () => {
  it('without a TTY prints one plain line per change and nothing for a repeat', () => {
    let now = 0;
    const out = sink(false);
    const view = new ProgressView(out, plain, () => now);
    view.track('i-1', 'web');
    view.update('i-1', { state: 'processing' });
    now = 2500;
    view.update('i-1', { step: 'Web:install' });
    view.update('i-1', { step: 'Web:install' });
    now = 61_000;
    view.end('i-1', 'running');
    view.stop();
    expect(out.writes).toEqual([
      'i-1  web  processing  -  0s\n',
      'i-1  web  processing  Web:install  2s\n',
      'i-1  web  running  Web:install  1m01s\n',
    ]);
    expect(out.writes.join('')).not.toContain('\x1b');
  });

  it('on a TTY redraws its lines in place and clears them around other output', () => {
    const out = sink(true);
    const view = new ProgressView(out, plain, () => 0);
    view.track('i-1', 'web');
    view.track('i-2', 'db');
    const before = out.writes.length;
    view.around(() => out.writes.push('RESULT\n'));
    const around = out.writes.slice(before);
    // Cleared (cursor up over both lines), the other output, then both lines again.
    expect(around[0]).toBe('\x1b[2A\x1b[0J');
    expect(around[1]).toBe('RESULT\n');
    expect(around[2]).toMatch(/i-1 {2}web/);
    expect(around[2]).toMatch(/i-2 {2}db/);
    view.end('i-1', 'running');
    view.end('i-2', 'failed');
    view.stop();
    const last = out.writes.at(-1)!;
    expect(last.startsWith('\x1b[2A')).toBe(true);
    expect(last).toContain('✓ i-1');
    expect(last).toContain('✗ i-2');
  });

  it('cuts a live line to the terminal width instead of wrapping', () => {
    const out = sink(true);
    const view = new ProgressView(out, plain, () => 0);
    view.track('i-1', 'x'.repeat(200));
    view.stop();
    const lines = out.writes.at(-1)!.split('\n').filter(Boolean);
    for (const l of lines)
      expect(l.replace(new RegExp(String.raw`\x1b\[[0-9;]*[A-Za-z]`, 'g'), '').length).toBeLessThanOrEqual(59);
  });
});
