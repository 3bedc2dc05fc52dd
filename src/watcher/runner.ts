import { spawn } from 'node:child_process';
import { killTree } from '../shared/process-tree.js';
import { statusOf } from '../shared/monitoring/status.js';
import type { CommandWrap } from '../shared/sandbox-mounts.js';

export interface RunOutcome {
  status: number;
  output: string;
  durationMs: number;
}

/** Most output kept from one check run. */
const MAX_OUTPUT = 64 * 1024;

/**
 * Runs a check command with `/bin/sh -c` in its own process group. Past `timeoutMs` the whole
 * group is killed (SIGKILL to -pgid), so a check's children die with it; a timed-out check is
 * CRITICAL; aborting `signal` kills the group too. Status follows the Nagios convention (exit 0..3, anything else UNKNOWN).
 */
export function runCommand(
  command: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
  wrap?: CommandWrap,
): Promise<RunOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const [file, ...args] = wrap ? wrap(['/bin/sh', '-c', command], process.cwd()) : ['/bin/sh', '-c', command];
    const child = spawn(file!, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    const take = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT) output += chunk.toString().slice(0, MAX_OUTPUT - output.length);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    // The one process-tree killer (shared/process-tree.ts): SIGKILL to the group at once.
    const killGroup = () => {
      if (child.pid) void killTree({ pgid: child.pid, graceMs: 0 });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    // The Watcher stopping ends its running checks, children included.
    signal?.addEventListener('abort', killGroup, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: 3, output: `UNKNOWN: cannot run check: ${err.message}`, durationMs: Date.now() - started });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', killGroup);
      // A group member that outlived the shell would keep running: end it too.
      killGroup();
      const durationMs = Date.now() - started;
      if (timedOut)
        resolve({ status: 2, output: `CRITICAL: check timed out after ${timeoutMs} ms\n${output}`, durationMs });
      else resolve({ status: statusOf(code), output, durationMs });
    });
  });
}
