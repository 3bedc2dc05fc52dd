/**
 * The mount part of a local machine's sandbox (issue 10), shared by the server (which starts the
 * host agent) and the host agent (which starts each machine): `sh` lines that cover a folder with
 * an empty tmpfs and mount chosen paths back at their usual place. Sources are opened before the
 * tmpfs hides them and mounted back through /proc/self/fd (a magic link, not a path).
 */
import { dirname } from 'node:path';

export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface SandboxMount {
  path: string;
  /** A file (else a folder). */
  file: boolean;
  /** Mounted back read-only. */
  ro: boolean;
}

/** `sh` lines (run with the capability to mount) that hide `cover` except `mounts`. */
export function coverLines(cover: string, mounts: SandboxMount[]): string[] {
  const lines: string[] = [];
  mounts.forEach((m, i) => lines.push(`exec ${i + 3}<${shellQuote(m.path)}`));
  lines.push(`mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev ebcli-sandbox ${shellQuote(cover)}`);
  mounts.forEach((m, i) => {
    const target = shellQuote(m.path);
    lines.push(m.file ? `mkdir -p ${shellQuote(dirname(m.path))} && : > ${target}` : `mkdir -p ${target}`);
    lines.push(`mount --no-canonicalize --bind /proc/self/fd/${i + 3} ${target}`);
    if (m.ro) lines.push(`mount -o remount,bind,ro,nosuid,nodev ${target}`);
    lines.push(`exec ${i + 3}<&-`);
  });
  return lines;
}

/** setpriv flags that leave a process (and all it starts) without any capability. */
export const DROP_ALL_CAPS = ['--no-new-privs', '--bounding-set=-all', '--inh-caps=-all'];

/** How a process is started inside a machine's sandbox: the whole argv that runs `argv` in `cwd`. */
export type CommandWrap = (argv: string[], cwd: string) => string[];
