import { describe, expect, it } from 'vitest';
import { colorEnabled, style } from '../../src/cli/render/style.js';
import { renderFields, renderTable, type Column } from '../../src/cli/render/table.js';

const rows = [
  { id: 'i-aaaaaa', tags: ['a', 'b'] },
  { id: 'i-bbbbbb', tags: [] },
];
const columns: Column<(typeof rows)[number]>[] = [
  { header: 'ID', get: (r) => r.id },
  { header: 'TAGS', get: (r) => r.tags },
];

describe('renderers', () => {
  it('print tab-separated rows without header, colour or box drawing off a TTY', async () => {
    const text = renderTable(rows, columns, { tty: false, style: await style(false) });
    expect(text).toBe('i-aaaaaa\ta,b\ni-bbbbbb\t\n');
  });

  it('draw a table with a header on a TTY', async () => {
    const text = renderTable(rows, columns, { tty: true, style: await style(false) });
    expect(text).toContain('┌');
    expect(text).toMatch(/ID\s+│\s+TAGS/);
  });

  it('render fields as key/value lines', async () => {
    expect(
      renderFields(
        [
          ['id', 'x'],
          ['tags', ['a']],
        ],
        { tty: false, style: await style(false) },
      ),
    ).toBe('id\tx\ntags\ta\n');
  });

  it('follow NO_COLOR and FORCE_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'xterm' })).toBe(true);
  });
});
