import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Global setup: every temporary directory a test makes (data dirs, HOMEs, box folders) lands under
 * one folder of this run (TMPDIR, inherited by the test workers and what they spawn). At the end,
 * any process whose command line, working directory or environment (HOME, TMPDIR, …) still names that folder was
 * started by a test and not stopped: the run fails, naming them, after killing them so nothing is
 * left behind on the machine.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ebcli-run-'));
  // Open like /tmp itself: tests of the machine sandbox look for folders other users cannot enter.
  chmodSync(root, 0o1777);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    const left = processesUnder(root);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
    if (left.length) {
      // vitest reports an error thrown here but still exits 0 when every test passed.
      process.exitCode = 1;
      throw new Error(
        `${left.length} process(es) started by tests were still running (killed now):\n` +
          left.map((p) => `  ${p.pid} ${p.cmd.slice(0, 200)}`).join('\n'),
      );
    }
  };
}

function processesUnder(root: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      // vitest's own workers, if still closing, are not test leftovers.
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (ppid === process.pid && cmd.includes('vitest')) continue;
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // a process of another user
      }
      let env = '';
      try {
        env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        // a process of another user
      }
      if (cmd.includes(root) || cwd.startsWith(root) || env.includes(root)) found.push({ pid, cmd });
    } catch {
      // exited while we looked
    }
  }
  return found;
}
