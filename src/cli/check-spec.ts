import { parseDuration } from './flags.js';
import { UsageError } from './errors.js';

export interface CheckFlags {
  command?: string;
  builtin?: string;
  param?: string[];
  interval: string;
  timeout?: string;
  warning?: string;
  critical?: string;
  format?: string;
  tag?: string[];
  box?: string;
  workspace?: string;
}

const seconds = (text: string, what: string): number => {
  const ms = parseDuration(text);
  if (ms < 1000 || ms % 1000) throw new UsageError(`--${what} must be whole seconds, at least 1s`);
  return ms / 1000;
};

const number = (text: string, what: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UsageError(`--${what} must be a number`);
  return n;
};

/** The MSA body of `checks create NAME …`. */
export function checkBody(name: string, f: CheckFlags): Record<string, unknown> {
  if (!f.command === !f.builtin) throw new UsageError('give exactly one of --command and --builtin');
  const params: Record<string, string | number> = {};
  for (const p of f.param ?? []) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new UsageError(`--param ${p}: use KEY=VALUE`);
    const value = p.slice(eq + 1);
    params[p.slice(0, eq)] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  const thresholds = {
    ...(f.warning !== undefined ? { warning: number(f.warning, 'warning') } : {}),
    ...(f.critical !== undefined ? { critical: number(f.critical, 'critical') } : {}),
  };
  const target = { ...(f.tag?.length ? { tags: f.tag } : {}), ...(f.box ? { box: f.box } : {}) };
  return {
    name,
    ...(f.command
      ? { command: f.command }
      : { builtin: { type: f.builtin, ...(Object.keys(params).length ? { params } : {}) } }),
    interval: seconds(f.interval, 'interval'),
    ...(f.timeout ? { timeout: seconds(f.timeout, 'timeout') } : {}),
    ...(Object.keys(thresholds).length ? { thresholds } : {}),
    ...(f.format ? { output_metric_format: f.format } : {}),
    ...(Object.keys(target).length ? { target } : {}),
    ...(f.workspace ? { owner: f.workspace } : {}),
  };
}
