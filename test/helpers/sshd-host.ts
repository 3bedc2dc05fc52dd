/**
 * Host A (issue 11): a network namespace (test/helpers/netns.ts) running Debian's real `sshd`
 * (openssh-server; .ci/run installs it) with a throwaway host key and configuration in a temporary
 * folder, key-only authentication for one throwaway user (home in that folder) whose authorized
 * key the helper generates. Needs root. `stop()` kills sshd and whatever the user still runs,
 * deletes the user, the namespace and the folder, and is safe after a half-done start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestHost, run, type TestHost } from './netns.js';
import { until } from './standalone-agent.js';

export const SSHD = '/usr/sbin/sshd';

export interface SshdHost {
  host: TestHost;
  user: string;
  home: string;
  /** The user's private key (OpenSSH format) and the host key's `SHA256:…` fingerprint. */
  privateKey: string;
  fingerprint: string;
  /** `address:22` inside the namespace. */
  target: string;
  /** What sshd wrote (-e: its log on stderr). */
  log(): string;
  /** Process ids of everything the user runs. */
  userProcesses(): number[];
  stop(): Promise<void>;
}

const uidOf = (pid: string): number | undefined => {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};

const portOpen = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

export async function startSshdHost(): Promise<SshdHost> {
  const dir = mkdtempSync(join(tmpdir(), 'ebcli-host-a-'));
  chmodSync(dir, 0o755);
  const user = `ebclia${randomBytes(3).toString('hex')}`;
  const home = join(dir, 'home');
  let host: TestHost | undefined;
  let sshd: ChildProcess | undefined;
  let sshdLog = '';
  let uid: number | undefined;
  let madeRunDir = false;

  const userProcesses = () => {
    if (uid === undefined) return [];
    return readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p) && uidOf(p) === uid)
      .map(Number);
  };

  const stop = async () => {
    if (sshd && sshd.exitCode === null) {
      const child = sshd;
      child.kill('SIGTERM');
      await until(() => child.exitCode !== null || child.signalCode !== null, 'sshd to stop', 10_000).catch(() =>
        child.kill('SIGKILL'),
      );
    }
    // The test user exists only for this run: what still runs as that user is ours to stop.
    for (const pid of userProcesses()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (uid !== undefined) {
      try {
        run('userdel', ['-f', user]);
      } catch {
        // gone
      }
    }
    host?.remove();
    if (madeRunDir) rmSync('/run/sshd', { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'host-a', '-f', join(dir, 'host_key')]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ebcli-test', '-f', join(dir, 'user_key')]);
    const fingerprint = run('ssh-keygen', ['-l', '-f', join(dir, 'host_key.pub')]).split(/\s+/)[1]!;
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
    mkdirSync(home);
    // Password `*`: no password logs in, yet the account is not locked (sshd without PAM refuses `!`).
    run('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/sh', '-p', '*', user]);
    uid = Number(run('id', ['-u', user]).trim());
    run('chown', [user, home]);
    if (!existsSync('/run/sshd')) {
      mkdirSync('/run/sshd', { mode: 0o755 });
      madeRunDir = true;
    }
    host = createTestHost('a', 234);
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `ListenAddress ${host.nsIp}:22`,
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `AllowUsers ${user}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        'UsePAM no',
        'StrictModes no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    run(SSHD, ['-t', '-f', config]);
    sshd = spawn('ip', ['netns', 'exec', host.ns, SSHD, '-D', '-e', '-f', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sshd.stderr!.on('data', (d) => (sshdLog += d));
    const address = host.nsIp;
    await until(() => portOpen(address, 22), 'sshd on host A to listen', 15_000);
    return {
      host,
      user,
      home,
      privateKey: readFileSync(join(dir, 'user_key'), 'utf8'),
      fingerprint,
      target: `${address}:22`,
      log: () => sshdLog,
      userProcesses,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
