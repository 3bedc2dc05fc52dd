import { loadTable, type Style } from './style.js';

export interface Column<T> {
  header: string;
  get: (row: T) => unknown;
  /** Colours a cell on a colour terminal. */
  color?: (s: Style, text: string) => string;
}

export interface RenderOptions {
  /** Box drawing and a header row (a TTY); otherwise tab-separated rows without a header. */
  tty: boolean;
  style: Style;
}

/** Cell text: lists joined with `,`, objects as JSON, nothing for null. */
export function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(cell).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/[\t\n]/g, ' ');
}

/** A table on a TTY; plain tab-separated lines (no header, colour or box drawing) otherwise. */
export function renderTable<T>(rows: T[], columns: Column<T>[], opts: RenderOptions): string {
  if (!opts.tty) {
    return rows.map((r) => columns.map((c) => cell(c.get(r))).join('\t') + '\n').join('');
  }
  if (rows.length === 0) return opts.style.dim('(none)') + '\n';
  const Table = loadTable();
  const table = new Table({
    head: columns.map((c) => opts.style.bold(c.header)),
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    table.push(
      columns.map((c) => {
        const text = cell(c.get(r));
        return c.color ? c.color(opts.style, text) : text;
      }),
    );
  }
  return table.toString() + '\n';
}

/** `key  value` lines for one object (tab-separated without a TTY). */
export function renderFields(fields: [string, unknown][], opts: RenderOptions): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields
    .map(([k, v]) => (opts.tty ? `${opts.style.bold(k.padEnd(width))}  ${cell(v)}` : `${k}\t${cell(v)}`) + '\n')
    .join('');
}
