import { readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { killTree } from '../../shared/process-tree.js';
import { envMatcher, processAlive, processRunning, procPids } from '../../shared/process.js';

/** The command line of a process, or undefined when it is gone (Linux `/proc`). */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** The process group of a process (field 5 of `/proc/<pid>/stat`), or undefined when it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return Number.isInteger(pgid) && pgid > 1 ? pgid : undefined;
  } catch {
    return undefined;
  }
}

/** The first child of `parent` (by `PPid` in `/proc/<pid>/status`), waiting up to `waitMs` for it to appear. */
export async function firstChild(parent: number, waitMs = 3000): Promise<number | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    for (const pid of procPids()) {
      try {
        const ppid = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        if (Number(ppid) === parent) return pid;
      } catch {
        // exited while we looked
      }
    }
    if (Date.now() >= deadline || !processAlive(parent)) return undefined;
    await delay(10);
  }
}

/**
 * Stops a whole process group: SIGTERM, then SIGKILL after `graceMs` for whatever is left
 * (shared/process-tree.ts, the one killer). Resolves once the group is gone (bounded).
 */
export async function killProcessGroup(pgid: number, graceMs = 3000): Promise<void> {
  await killTree({ pgid, graceMs });
}

/** Whether a process's working directory is `root` or inside it (also once the directory is deleted). */
function cwdInside(pid: number, root: string): boolean {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
    return cwd === root || cwd.startsWith(`${root}/`);
  } catch {
    return false;
  }
}

/**
 * Processes of a local machine (Linux `/proc`): those whose environment holds `NAME=value` (passed
 * down from the agent) or whose working directory is inside the machine's sandbox. Scripts run in
 * process groups of their own and daemons leave them, so the agent's group alone is not enough.
 */
export function machineProcesses(name: string, value: string): number[] {
  const marked = envMatcher(name, value);
  return procPids().filter(
    (pid) => pid !== process.pid && (marked(pid) || cwdInside(pid, value)) && processRunning(pid),
  );
}

/** SIGKILLs every process of the machine at once (a crash), repeating until none is left (children forking). */
export async function killMarked(name: string, value: string): Promise<void> {
  await killTree({ strays: () => machineProcesses(name, value), graceMs: 0 });
}
