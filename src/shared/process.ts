/** Process probes shared by the CLI, the server and the agent (`/proc` ones are Linux only). */
import { readdirSync, readFileSync } from 'node:fs';

/** Whether a process exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a process exists and is not a zombie waiting for its parent to reap it (Linux `/proc`). */
export function processRunning(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false; // gone since
  }
}

/** Every pid in `/proc` (Linux); empty where there is no `/proc`. */
export function procPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** A test of whether a process's environment holds exactly `NAME=value` (Linux `/proc`; false if unreadable). */
export function envMatcher(name: string, value: string): (pid: number) => boolean {
  const needle = Buffer.from(`\0${name}=${value}\0`);
  return (pid) => {
    try {
      return Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]).indexOf(needle) !== -1;
    } catch {
      return false;
    }
  };
}
