import { readFileSync, readlinkSync } from 'node:fs';
import { envMatcher, processAlive, procPids } from '../../shared/process.js';

/** Whether a process is alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

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

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a whole process group: SIGTERM, then SIGKILL after `graceMs` for whatever is left.
 * Resolves once the group leader is gone (bounded by the grace period plus a short wait).
 */
export async function killProcessGroup(pgid: number, graceMs = 3000): Promise<void> {
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (running(pgid) || groupAlive(pgid))) await delay(25);
  if (groupAlive(pgid)) signal('SIGKILL');
  const hard = Date.now() + 2000;
  while (Date.now() < hard && running(pgid)) await delay(25);
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
  return procPids().filter((pid) => pid !== process.pid && (marked(pid) || cwdInside(pid, value)) && running(pid));
}

/** SIGKILLs every process of the machine, repeating until none is left (children forking). */
export async function killMarked(name: string, value: string, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const pids = machineProcesses(name, value);
    if (!pids.length) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await delay(25);
  }
}
