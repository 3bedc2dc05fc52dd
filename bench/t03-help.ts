// T3 (quality.md B2): `ebcli --help` and an unknown command, each median ≤ 1.7× `node -e 0` + 50 ms,
// all three measured in this run. Completion needs no process: the script `ebcli autocomplete`
// installs holds the command list. Prints one JSON line (value: the slower of the two medians).
// Usage: npm run build && npx tsx bench/t03-help.ts [runs]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machineInfo, quantile, round } from './lib/ratio.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const RUNS = Number(process.argv[2] ?? 30);
const WARMUP = 5;

function timeOnce(args: string[], expectStatus: number): number {
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== expectStatus) throw new Error(`${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return ms;
}

const runs = {
  baseline: () => timeOnce(['-e', '0'], 0),
  help: () => timeOnce([BIN, '--help'], 0),
  unknown: () => timeOnce([BIN, 'no-such-command'], 2),
};
const samples: Record<keyof typeof runs, number[]> = { baseline: [], help: [], unknown: [] };
for (let i = 0; i < WARMUP + RUNS; i++) {
  // Interleaved so that all three see the same machine load.
  for (const [name, run] of Object.entries(runs) as [keyof typeof runs, () => number][]) {
    const ms = run();
    if (i >= WARMUP) samples[name].push(ms);
  }
}
const baseline = quantile(samples.baseline, 0.5);
const help = quantile(samples.help, 0.5);
const unknown = quantile(samples.unknown, 0.5);
const limit = 1.7 * baseline + 50;
const value = Math.max(help, unknown);
process.stdout.write(
  `${JSON.stringify({
    target: 'T3 ebcli --help, unknown command',
    value: round(value),
    unit: 'ms',
    baseline: round(baseline),
    limit: round(limit),
    pass: value <= limit,
    help: { p50: round(help), p99: round(quantile(samples.help, 0.99)) },
    unknown: { p50: round(unknown), p99: round(quantile(samples.unknown, 0.99)) },
    n: RUNS,
    machine: machineInfo(),
  })}\n`,
);
