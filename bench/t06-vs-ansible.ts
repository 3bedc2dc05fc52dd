// T06 (issue 12): ebcli against the tool a user would pick instead, on its own job, same run.
//
// "One trivial deploy" is what the CLI user waits for: the wall time of one
// `ebcli deploy <box folder> --name …` process (bin/run.js, the built CLI), from spawn until it
// exits 0, which it does once the instance is running: the box folder is imported, the instance
// created, a new local machine (sandbox) provisioned and its install script (`true`) run. The
// embedded default server and its host agent are already running (a first deploy, not timed,
// started them: every later command finds them so). Baseline: the wall time of
// `ansible localhost -c local -m shell -a true`.
// "20 in parallel": 20 such `ebcli deploy` processes started at once, until the last exits, vs
// `ansible all -f 20` on an inventory of 20 hosts with `ansible_connection=local` running
// `shell: true`. Targets: both ratios ≤ 1.0. Prints one JSON line.
//
// Needs ansible-core: on Debian `apt-get install -y ansible-core`.
// Usage: npm run build && npx tsx bench/t06-vs-ansible.ts [runs]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, quantile, round } from './lib/ratio.js';

const RUNS = Number(process.argv[2] ?? 5);
const PARALLEL_RUNS = Math.max(1, Math.ceil(RUNS / 3));
const WIDTH = 20;
const LIMIT = 1.0;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'run.js');

if (spawnSync('ansible', ['--version'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write(
    't06-vs-ansible: ansible is not installed, so there is no baseline to measure against.\n' +
      'Install ansible-core from Debian:  sudo apt-get update && sudo apt-get install -y ansible-core\n',
  );
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'ebcli-bench-t06-'));
const home = join(work, 'home');
mkdirSync(home, { recursive: true });
// A fresh user: the embedded default under this HOME, nothing of the caller's ebcli settings.
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ANSIBLE_NOCOLOR: '1' };
if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;

const box = join(work, 'trivial');
mkdirSync(join(box, 'events'), { recursive: true });
writeFileSync(
  join(box, 'box.yaml'),
  'name: Trivial\nschema: http://elasticbox.net/schemas/boxes/script\nrequirements:\n- linux\nvariables: []\n',
);
writeFileSync(join(box, 'events', 'install'), '#!/bin/sh\ntrue\n', { mode: 0o700 });
const inventory = join(work, 'inventory');
writeFileSync(
  inventory,
  Array.from(
    { length: WIDTH },
    (_, i) => `h${i + 1} ansible_connection=local ansible_python_interpreter=auto_silent`,
  ).join('\n') + '\n',
);

/** Runs a command to its end; its wall time in ms (throws on a non-zero exit). */
function timed(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${command} ${args.join(' ')}: exit ${code}\n${err.slice(-2000)}`)),
    );
  });
}

let n = 0;
const deploy = () => timed(process.execPath, [CLI, 'deploy', box, '--name', `t06-${++n}`, '--timeout', '120s']);
const ansible = () => timed('ansible', ['localhost', '-c', 'local', '-m', 'shell', '-a', 'true']);
const deployMany = async () => {
  const started = performance.now();
  await Promise.all(Array.from({ length: WIDTH }, deploy));
  return performance.now() - started;
};
const ansibleMany = () => timed('ansible', ['all', '-i', inventory, '-m', 'shell', '-a', 'true', '-f', String(WIDTH)]);

try {
  // Not timed: starts the embedded server and the host agent, warms Ansible's caches.
  await deploy();
  await ansible();
  const single = { baseline: [] as number[], target: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    single.baseline.push(await ansible());
    single.target.push(await deploy());
  }
  const parallel = { baseline: [] as number[], target: [] as number[] };
  for (let i = 0; i < PARALLEL_RUNS; i++) {
    parallel.baseline.push(await ansibleMany());
    parallel.target.push(await deployMany());
  }
  const med = (xs: number[]) => quantile(xs, 0.5);
  const ratio1 = med(single.target) / med(single.baseline);
  const ratio20 = med(parallel.target) / med(parallel.baseline);
  process.stdout.write(
    `${JSON.stringify({
      target: 't06-vs-ansible',
      value: round(med(single.target)),
      unit: 'ms',
      baseline: round(med(single.baseline)),
      ratio: round(ratio1),
      parallel: {
        width: WIDTH,
        value: round(med(parallel.target)),
        baseline: round(med(parallel.baseline)),
        ratio: round(ratio20),
        n: parallel.target.length,
      },
      limit: LIMIT,
      pass: ratio1 <= LIMIT && ratio20 <= LIMIT,
      p50: round(med(single.target)),
      p99: round(quantile(single.target, 0.99)),
      n: single.target.length,
      measuredAt: new Date().toISOString(),
      machine: machineInfo(),
    })}\n`,
  );
} finally {
  spawnSync(process.execPath, [CLI, 'server', 'stop'], { env, stdio: 'ignore', timeout: 30_000 });
  // The host agent (and every machine with it) outlives the server by design: stop it too.
  try {
    const pidFile = join(home, '.local', 'share', 'ebcli', 'host-agent', 'host-agent.pid');
    process.kill(-Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
  } catch {
    // never started
  }
  await new Promise((r) => setTimeout(r, 1500));
  rmSync(work, { recursive: true, force: true });
}
