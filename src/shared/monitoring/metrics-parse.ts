/**
 * Metric extraction from check output, in the three formats checks commonly print (as Sensu's
 * `output_metric_format`). Lines that do not parse are skipped: a check's message is never an error.
 */
export type MetricFormat = 'nagios_perfdata' | 'prometheus_text' | 'graphite_plaintext';
export const METRIC_FORMATS: MetricFormat[] = ['nagios_perfdata', 'prometheus_text', 'graphite_plaintext'];

export interface MetricPoint {
  name: string;
  value: number;
  /** Epoch milliseconds when the output gave one. */
  ts?: number;
}

/** Metric names as stored: letters, digits and `._-:/` (mount paths); anything else becomes `_`. */
export function metricName(raw: string): string {
  return raw.replace(/[^A-Za-z0-9._:/-]/g, '_').slice(0, 200);
}

/**
 * Nagios perfdata: everything after the first `|` of the output (and of later lines), as
 * `'label'=value[UOM];[warn];[crit];[min];[max]` separated by spaces.
 */
export function parsePerfdata(output: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const line of output.split('\n')) {
    const bar = line.indexOf('|');
    if (bar < 0) continue;
    const perf = line.slice(bar + 1);
    const re = /('([^']+)'|[^\s=']+)=(-?[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)([A-Za-z%]*)/g;
    for (let m = re.exec(perf); m; m = re.exec(perf)) {
      const label = m[2] ?? m[1]!;
      const value = Number(m[3]);
      if (Number.isFinite(value)) out.push({ name: metricName(label), value });
    }
  }
  return out;
}

/** Prometheus text exposition: `name{labels} value [timestamp_ms]`; labels become `name.value` suffixes. */
export function parsePrometheus(output: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})?\s+(\S+)(\s+(-?\d+))?$/.exec(line);
    if (!m) continue;
    const value = Number(m[4]);
    if (!Number.isFinite(value)) continue;
    const labels = [...(m[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => l[2]!);
    const name = metricName([m[1]!, ...labels].join('.'));
    out.push({ name, value, ...(m[6] ? { ts: Number(m[6]) } : {}) });
  }
  return out;
}

/** Graphite plaintext: `path value [timestamp_seconds]`. */
export function parseGraphite(output: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const raw of output.split('\n')) {
    const parts = raw.trim().split(/\s+/);
    if (parts.length < 2 || parts.length > 3) continue;
    const value = Number(parts[1]);
    if (!/^[A-Za-z0-9._:-]+$/.test(parts[0]!) || !Number.isFinite(value)) continue;
    const ts = parts[2] !== undefined ? Number(parts[2]) : undefined;
    if (ts !== undefined && !Number.isInteger(ts)) continue;
    out.push({ name: metricName(parts[0]!), value, ...(ts !== undefined ? { ts: ts * 1000 } : {}) });
  }
  return out;
}

export function extractMetrics(format: MetricFormat | undefined, output: string): MetricPoint[] {
  switch (format) {
    case 'nagios_perfdata':
      return parsePerfdata(output);
    case 'prometheus_text':
      return parsePrometheus(output);
    case 'graphite_plaintext':
      return parseGraphite(output);
    default:
      return [];
  }
}
