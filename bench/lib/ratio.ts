/** Start-up targets measured against `node -e 0` in the same run (quality.md B2), and their JSON line. */
import { cpus, platform } from 'node:os';

/** Nearest-rank quantile of `xs` (not modified). */
export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
};

export const round = (x: number): number => Math.round(x * 100) / 100;

export interface Samples {
  baseline: number[];
  target: number[];
}

/**
 * Times `warmup` unrecorded rounds, then `runs` recorded ones. Baseline and target alternate so both
 * see the same machine load.
 */
export async function interleave(
  runs: number,
  warmup: number,
  baseline: () => number | Promise<number>,
  target: () => number | Promise<number>,
): Promise<Samples> {
  for (let i = 0; i < warmup; i++) {
    await baseline();
    await target();
  }
  const samples: Samples = { baseline: [], target: [] };
  for (let i = 0; i < runs; i++) {
    samples.baseline.push(await baseline());
    samples.target.push(await target());
  }
  return samples;
}

/** The one JSON line: the target's median over the baseline's median, passing at or under `limit`. */
export function ratioLine(target: string, limit: number, samples: Samples): string {
  const value = quantile(samples.target, 0.5);
  const baseline = quantile(samples.baseline, 0.5);
  const ratio = value / baseline;
  return `${JSON.stringify({
    target,
    value: round(value),
    unit: 'ms',
    baseline: round(baseline),
    ratio: round(ratio),
    limit,
    pass: ratio <= limit,
    p50: round(value),
    p99: round(quantile(samples.target, 0.99)),
    n: samples.target.length,
    machine: machineInfo(),
  })}\n`;
}

/** The machine a figure was measured on, for every bench line. */
export function machineInfo() {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    platform: platform(),
    node: process.version,
    // Node parses this bundle at every start, so it weighs on the baseline as much as on ebcli.
    extraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS),
  };
}
