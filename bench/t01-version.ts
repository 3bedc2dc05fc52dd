// T1 (quality.md B2): `ebcli --version` median ≤ 1.7× `node -e 0`, both measured in this run.
// Prints one JSON line. Usage: npx tsx bench/t01-version.ts [runs]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { interleave, ratioLine } from './lib/ratio.js';

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

const baselineArgs = ['-e', '0'];
const targetArgs = [BIN, '--version'];
const samples = await interleave(
  RUNS,
  WARMUP,
  () => timeOnce(baselineArgs),
  () => timeOnce(targetArgs),
);
process.stdout.write(ratioLine('T1 ebcli --version', LIMIT, samples));
