import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster owned by one test run: `initdb` into a temporary directory, a
 * server listening only on a unix socket in that directory (no TCP port at all), trust
 * authentication for the run's superuser `ebcli`. As root the server runs as the unprivileged
 * `postgres` user (PostgreSQL refuses to run as root), via `setpriv`. Durability settings are off
 * unless asked for: a test cluster never survives a crash by design. `stop()` stops it immediately and removes the
 * directory; it is idempotent and also runs on process exit.
 */
export interface TestCluster {
  /** Superuser URL of the cluster's `postgres` database, through the unix socket. */
  adminUrl: string;
  /** URL of database `name` on this cluster. */
  urlOf(name: string): string;
  dir: string;
  stop(): void;
  /** Fault injection (issue 13, F3): `pg_ctl stop -m immediate`, a crash as far as clients can tell. */
  crash(): void;
  /** Starts the cluster again after `crash()` (crash recovery replays the WAL), waiting until it accepts connections. */
  start(): void;
}

const SUPERUSER = 'ebcli';

/** The newest PostgreSQL server binaries Debian installed, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function userIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`user ${name} is missing (Debian's postgresql package creates it)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** `durable`: keep PostgreSQL's default fsync and synchronous commit (benchmarks); tests turn them off. */
/**
 * `crashed`: the cluster will be stopped with `-m immediate` under load (fault campaigns), so every
 * acknowledged commit must survive that (synchronous commit on; fsync stays off).
 */
export function startTestCluster(opts: { durable?: boolean; crashed?: boolean } = {}): TestCluster {
  const bin = postgresBinDir();
  if (!bin)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'ebcli-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  mkdirSync(socketDir);
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? userIds('postgres') : undefined;
  if (ids) {
    chownSync(dir, ids.uid, ids.gid);
    chownSync(socketDir, ids.uid, ids.gid);
  }
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = ids
      ? ['setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    return execFileSync(file, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    try {
      if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
    } catch {
      // Not running, or pg_ctl failed: kill the postmaster named in its pid file.
      try {
        const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  // Without synchronous commit a commit is acknowledged before its WAL leaves PostgreSQL's own
  // memory, which an immediate stop loses: a cluster that is crashed on purpose keeps it (fsync
  // may stay off: the machine itself does not crash).
  const fast = opts.durable ? [] : ['-c fsync=off', '-c full_page_writes=off'];
  const options = [
    `-k ${socketDir}`,
    "-c listen_addresses=''",
    ...fast,
    ...(opts.durable || opts.crashed ? [] : ['-c synchronous_commit=off']),
    '-c max_connections=300',
    '-c shared_buffers=32MB',
  ].join(' ');
  const start = () => {
    run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', options]);
  };
  try {
    run('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    start();
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
    stop();
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`test PostgreSQL cluster did not start: ${e.stderr?.toString() ?? e.message}\n${log}`);
  }
  const urlOf = (name: string) => `postgres://${SUPERUSER}@localhost/${name}?host=${encodeURIComponent(socketDir)}`;
  const crash = () => {
    run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
  };
  return { adminUrl: urlOf('postgres'), urlOf, dir, stop, crash, start };
}
