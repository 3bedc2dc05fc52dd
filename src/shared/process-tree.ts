/**
 * The one process-tree killer, used by the agent (a script's tree) and the local provider (a
 * machine's agent and everything it left). Scripts and agents run as leaders of their own process
 * group (spawned `detached`), so a signal to `-pgid` reaches every descendant that stayed in the group.
 *
 * Limitation: a descendant that leaves the group (`setsid`, `setpgid`, a daemonising double fork)
 * is not reached by group signals. On Linux the agent also sweeps `/proc` for processes whose
 * environment still carries the execution's `ELASTICBOX_EXECUTION_ID`, which catches the common
 * `setsid nohup … &`; a process that scrubs its environment (`env -i`) AND leaves the group
 * escapes. cgroups would close that gap and are not used.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { envMatcher, procPids } from './process.js';

const HAS_PROC = process.platform === 'linux';

/** `[state, pgrp]` of a process from /proc/<pid>/stat, or undefined when it is gone. */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Live (non-zombie) members of process group `pgid`. Zombies count as gone: they run nothing and
 * wait only for their parent (often PID 1) to reap them.
 */
export function liveGroupMembers(pgid: number): number[] {
  if (!HAS_PROC) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  return procPids().filter((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
  });
}

/** Live processes whose environment contains exactly `NAME=value` (Linux; empty elsewhere). */
export function processesWithEnv(name: string, value: string): number[] {
  if (!HAS_PROC) return [];
  const marked = envMatcher(name, value);
  return procPids().filter((pid) => {
    if (pid === process.pid || !marked(pid)) return false;
    const stat = procStat(pid);
    return stat !== undefined && stat.state !== 'Z';
  });
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone, or not ours to signal
  }
}

async function waitGone(alive: () => number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (alive().length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}

export interface KillTreeOptions {
  /** The process group to stop (its leader's pid); none for a sweep of strays alone. */
  pgid?: number;
  /** Processes that left the group but belong to the tree (looked up anew each round). */
  strays?: () => number[];
  /** Time between SIGTERM and SIGKILL; 0 or less sends SIGKILL at once (a crash). */
  graceMs: number;
}

/**
 * SIGTERM to the group and its strays, SIGKILL after `graceMs` (rounds that also catch children
 * forked meanwhile), then waits (bounded) until nothing is left. Returns true when no live
 * process of the group and no stray remains.
 */
export async function killTree(opts: KillTreeOptions): Promise<boolean> {
  const { pgid, strays = () => [] } = opts;
  const group = pgid !== undefined && Number.isInteger(pgid) && pgid > 1 ? pgid : undefined;
  const alive = () => [...(group ? liveGroupMembers(group) : []), ...strays()];
  if (opts.graceMs > 0) {
    if (group) signal(-group, 'SIGTERM');
    for (const pid of strays()) signal(pid, 'SIGTERM');
    if (await waitGone(alive, opts.graceMs)) return true;
  }
  for (let round = 0; round < 3; round++) {
    if (group) signal(-group, 'SIGKILL');
    for (const pid of alive()) signal(pid, 'SIGKILL');
    if (await waitGone(alive, 1000)) return true;
  }
  return false;
}
