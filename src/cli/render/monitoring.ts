import asciichart from 'asciichart';
import type { Alert, Check, CheckState, MetricsReply } from '../../client/resources/msa.js';
import type { Style } from './style.js';
import type { Column } from './table.js';

const severityColor = (s: Style, text: string) =>
  text === 'critical' ? s.red(text) : text === 'warning' || text === 'unknown' ? s.yellow(text) : s.green(text);

export const checkColumns: Column<Check>[] = [
  { header: 'NAME', get: (c) => c.name },
  { header: 'RUNS', get: (c) => c.command ?? `builtin ${c.builtin?.type ?? ''}` },
  { header: 'INTERVAL', get: (c) => `${c.interval}s` },
  {
    header: 'TARGET',
    get: (c) => [...(c.target?.tags ?? []).map((t) => `tag:${t}`), ...(c.target?.box ? [`box:${c.target.box}`] : [])],
  },
  { header: 'VERSION', get: (c) => c.version },
  { header: 'ID', get: (c) => c.id },
];

export const stateColumns: Column<CheckState>[] = [
  { header: 'CHECK', get: (s) => s.check },
  { header: 'MACHINE', get: (s) => s.machine },
  { header: 'STATUS', get: (s) => s.status, color: severityColor },
  { header: 'OCCURRENCES', get: (s) => s.occurrences },
  { header: 'FLAPPING', get: (s) => (s.flapping ? 'yes' : '') },
  { header: 'OUTPUT', get: (s) => s.output.split('\n', 1)[0] },
];

export const alertColumns: Column<Alert>[] = [
  { header: 'ID', get: (a) => a.id },
  { header: 'SEVERITY', get: (a) => a.severity, color: severityColor },
  { header: 'STATE', get: (a) => a.state },
  { header: 'INSTANCE', get: (a) => a.instance },
  { header: 'CHECK', get: (a) => a.check },
  {
    header: 'FLAGS',
    get: (a) =>
      [a.flapping ? 'flapping' : '', a.acknowledged ? 'acked' : '', a.silenced ? 'silenced' : ''].filter(Boolean),
  },
  { header: 'OPENED', get: (a) => a.opened },
  { header: 'MESSAGE', get: (a) => a.message },
];

/** Plain rows for pipes: `metric <tab> machine <tab> ISO time <tab> value`. */
export function metricRows(reply: MetricsReply): string {
  return reply.series
    .flatMap((s) => s.points.map((p) => `${s.metric}\t${s.machine}\t${new Date(p.ts).toISOString()}\t${p.value}\n`))
    .join('');
}

/** One line chart per series (asciichart), with its range under it; for a terminal. */
export function metricCharts(reply: MetricsReply, style: Style, width: number): string {
  if (!reply.series.length) return style.dim('(no samples in this range)') + '\n';
  const out: string[] = [];
  for (const s of reply.series) {
    const values = s.points.map((p) => p.value);
    // Fit the terminal: keep the newest points that fit next to the axis labels.
    const fitted = values.slice(-Math.max(2, width - 14));
    out.push(style.bold(`${s.metric} (${s.machine}, ${reply.aggregate} per ${reply.step}s)`));
    out.push(fitted.length > 1 ? asciichart.plot(fitted, { height: 10 }) : `  ${fitted[0] ?? ''}`);
    const first = s.points[s.points.length - fitted.length]!;
    const last = s.points[s.points.length - 1]!;
    out.push(style.dim(`  ${new Date(first.ts).toISOString()} … ${new Date(last.ts).toISOString()}`));
  }
  return out.join('\n') + '\n';
}
