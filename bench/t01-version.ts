// T1 (quality.md B2): `ebcli --version` median ≤ 1.7× `node -e 0`, both measured in this run.
// Prints one JSON line. Usage: npx tsx bench/t01-version.ts [runs]
import { spawnSync } from 'node:child_process';
import { cpus, platform } from 'node:os';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const RUNS = Number(process.argv[2] ?? 30);
const WARMUP = 5;
const LIMIT = 1.7;

function timeOnce(args: string[]): number {
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0) throw new Error(`${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return ms;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
};

const baselineArgs = ['-e', '0'];
const targetArgs = [BIN, '--version'];
for (let i = 0; i < WARMUP; i++) {
  timeOnce(baselineArgs);
  timeOnce(targetArgs);
}
// Interleaved so both see the same machine load.
const base: number[] = [];
const target: number[] = [];
for (let i = 0; i < RUNS; i++) {
  base.push(timeOnce(baselineArgs));
  target.push(timeOnce(targetArgs));
}
const value = quantile(target, 0.5);
const baseline = quantile(base, 0.5);
const ratio = value / baseline;
const round = (x: number) => Math.round(x * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    target: 'T1 ebcli --version',
    value: round(value),
    unit: 'ms',
    baseline: round(baseline),
    ratio: round(ratio),
    limit: LIMIT,
    pass: ratio <= LIMIT,
    p50: round(value),
    p99: round(quantile(target, 0.99)),
    n: RUNS,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      platform: platform(),
      node: process.version,
      // Node parses this bundle at every start, so it weighs on the baseline as much as on ebcli.
      extraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS),
    },
  })}\n`,
);
