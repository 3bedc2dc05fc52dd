/**
 * How a local machine's agent is kept away from the control plane (issue 10). Each agent starts in
 * namespaces of its own (util-linux `unshare`):
 * - a mount namespace where a tmpfs covers `<data-dir>` (or the highest ancestor of it the
 *   machine user cannot enter) and only the machine's own folder and the agent program
 *   (`<data-dir>/agent`, read-only) are bind-mounted back, at their usual paths;
 * - a PID namespace with its own /proc: the machine sees no server process (no /proc/<pid>/root
 *   or environ of the server), and when the agent (its PID 1) ends every process of the machine ends;
 * - all capabilities dropped before the agent starts (`setpriv`), so nothing inside can unmount
 *   the cover. As root, the agent also runs as the unprivileged system user `ebcli-machine`;
 *   otherwise a user namespace maps the server's user (the agent is root in it, without capabilities).
 * Without namespaces the provider refuses to start machines unless EBCLI_LOCAL_ISOLATION=off.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { sep } from 'node:path';
import { coverLines, DROP_ALL_CAPS, shellQuote } from '../../shared/sandbox-mounts.js';

export type IsolationMode = 'root' | 'userns' | 'off';
export const ISOLATION_ENV = 'EBCLI_LOCAL_ISOLATION';
export const MACHINE_USER = 'ebcli-machine';

export interface MachineUser {
  uid: number;
  gid: number;
}

const quote = shellQuote;

function unshareFlags(mode: IsolationMode): string[] {
  const base = ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private'];
  return mode === 'root' ? base : ['--user', '--map-root-user', ...base];
}

const probed = new Map<string, IsolationMode>();

/**
 * The isolation this host allows, checked once per data directory by mounting a tmpfs over it in a
 * throw-away namespace. Throws (a provisioning error) when there is none and no opt-out is set.
 */
export function isolationMode(dataDir: string, setting = process.env[ISOLATION_ENV]): IsolationMode {
  if (setting === 'off') return 'off';
  const known = probed.get(dataDir);
  if (known) return known;
  const mode: IsolationMode = process.getuid?.() === 0 ? 'root' : 'userns';
  const probe = spawnSync(
    'unshare',
    [...unshareFlags(mode), '--', '/bin/sh', '-c', 'mount -t tmpfs -o size=4k ebcli-probe "$1"', 'sh', dataDir],
    { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
  );
  if (probe.status !== 0) {
    const why = (probe.error?.message ?? probe.stderr ?? '').trim().split('\n')[0] || `exit ${probe.status}`;
    throw new Error(
      `local machines need Linux mount and PID namespaces (util-linux unshare) to keep scripts away from ` +
        `the control plane's secrets, and this host refused them (${why}). Run the server as root, allow ` +
        `unprivileged user namespaces, or set ${ISOLATION_ENV}=off to run scripts unisolated (unsafe).`,
    );
  }
  probed.set(dataDir, mode);
  return mode;
}

let knownUser: MachineUser | undefined;

/**
 * The unprivileged user local machines run as when the server is root, created on first use.
 * Looked up once per process: two `id` runs per machine start blocked the server for ~18 ms a
 * machine (a quarter of the local deploys' server time in T07's profile).
 */
export function machineUser(): MachineUser {
  return (knownUser ??= lookUpMachineUser());
}

function lookUpMachineUser(): MachineUser {
  const id = (flag: string) => Number(execFileSync('id', [flag, MACHINE_USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync(
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        MACHINE_USER,
      ],
      { stdio: 'ignore' },
    );
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Whether users other than the owner and group may enter a directory. */
function othersMayEnter(dir: string): boolean {
  try {
    return (statSync(dir).mode & 0o001) !== 0;
  } catch {
    return false;
  }
}

/**
 * What the tmpfs covers: `<data-dir>`, or (root mode) its highest ancestor another user cannot
 * enter, so that the machine user can reach the paths mounted back under it.
 */
export function coverRoot(dataDir: string, mode: IsolationMode): string {
  if (mode !== 'root') return dataDir;
  const parts = dataDir.split(sep).filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = sep + parts.slice(0, i).join(sep);
    if (!othersMayEnter(dir)) return dir;
  }
  return dataDir;
}

export interface SandboxSpec {
  mode: Exclude<IsolationMode, 'off'>;
  /** The folder the tmpfs covers (coverRoot). */
  cover: string;
  /** Mounted back read-write at the same path (the machine's folder). */
  writable: string;
  /** Mounted back read-only at the same path (agent program; node when under the cover). */
  readOnly: { path: string; file: boolean }[];
  user?: MachineUser;
  /** The agent's command line. */
  program: string[];
}

/**
 * The `unshare … sh -c <setup>` command line that starts `program` isolated (sandbox-mounts.ts).
 */
export function sandboxCommand(spec: SandboxSpec): { command: string; args: string[] } {
  const mounts = [{ path: spec.writable, file: false, ro: false }, ...spec.readOnly.map((r) => ({ ...r, ro: true }))];
  const lines = ['set -e', ...coverLines(spec.cover, mounts)];
  const user = spec.user ? [`--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, '--clear-groups'] : [];
  // Changing the uid clears the parent-death signal `unshare --kill-child` set: set it again, so
  // the machine ends with its `unshare`.
  const drop = ['setpriv', ...user, '--pdeathsig', 'SIGKILL', ...DROP_ALL_CAPS, '--'];
  lines.push(`cd ${quote(spec.writable)}`);
  lines.push(`exec ${drop.map(quote).join(' ')} "$@"`);
  // The program goes as arguments of its own (not inside the script): its flags stay separate
  // argv entries, by which the provider recognises the machine's agent (commandLine in local.ts).
  return {
    command: 'unshare',
    args: [...unshareFlags(spec.mode), '--', '/bin/sh', '-c', lines.join('\n'), 'ebcli-sandbox', ...spec.program],
  };
}

export interface HostSandboxSpec {
  mode: Exclude<IsolationMode, 'off'>;
  cover: string;
  /** `<data-dir>/machines` and the host agent's own folder: mounted back read-write. */
  writable: string[];
  /** The agent program (and node when under the cover): mounted back read-only. */
  readOnly: { path: string; file: boolean }[];
  user?: MachineUser;
  program: string[];
}

/**
 * The command line that starts the host agent (one process serving every local machine of the
 * host): a mount namespace where the tmpfs covers `<data-dir>` except the machines' folders and
 * the agent program, and a user namespace in which it keeps the capabilities to build each
 * machine's own namespaces (it never runs a script itself: scripts enter their machine without
 * any capability). As root, it maps the unprivileged machine user, so outside its namespace it
 * is that user (this needs unprivileged user namespaces); otherwise it maps the server's user.
 */
export function hostSandboxCommand(spec: HostSandboxSpec): { command: string; args: string[] } {
  const mounts = [
    ...spec.writable.map((path) => ({ path, file: false, ro: false })),
    ...spec.readOnly.map((r) => ({ ...r, ro: true })),
  ];
  const lines = ['set -e', ...coverLines(spec.cover, mounts), `cd ${quote(spec.writable[spec.writable.length - 1]!)}`];
  if (spec.user) {
    const drop = ['setpriv', `--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, '--clear-groups', '--'];
    lines.push(`exec ${drop.map(quote).join(' ')} unshare --user --map-root-user -- "$@"`);
  } else lines.push('exec "$@"');
  const userns = spec.mode === 'root' ? [] : ['--user', '--map-root-user'];
  return {
    command: 'unshare',
    args: [
      ...userns,
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      lines.join('\n'),
      'ebcli-host-agent',
      ...spec.program,
    ],
  };
}
