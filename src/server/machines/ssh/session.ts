/**
 * One command on a host over ssh (the `ssh2` library): key authentication only, and the host's key
 * checked against the fingerprints it must have (OpenSSH's `SHA256:…` form) before anything is
 * sent. The private key and what goes to the command's stdin never reach a process argument or
 * an error message.
 */
import { createHash } from 'node:crypto';
import { ssh2 } from './ssh2.js';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  passphrase?: string;
  /** Accepted host key fingerprints (`SHA256:<base64>`, as `ssh-keygen -lf` prints them). */
  fingerprints: readonly string[];
  /** With no fingerprint to check against, accept the host's key and report it. */
  trustOnFirstUse: boolean;
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The fingerprint of the key the host presented. */
  fingerprint: string;
}

/** The error a refused host key raises: the caller's message names the host and both fingerprints. */
export class HostKeyRefused extends Error {
  constructor(
    readonly target: string,
    readonly fingerprint: string,
  ) {
    super(
      `the host key of ${target} (${fingerprint}) is not among the expected fingerprints: ` +
        `add it to the provider's fingerprints after checking it on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), or set trust_on_first_use`,
    );
  }
}

export const fingerprintOf = (key: Buffer): string =>
  `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

const normalize = (fp: string) => fp.trim().replace(/=+$/, '');

/** `host[:port]` (port 22 by default; `[v6]:port` for IPv6). */
export function parseHost(spec: string): { host: string; port: number } {
  const s = spec.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  const m = v6 ?? /^([^:\s]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`'${spec}' is not host[:port]`);
  const port = m[2] ? Number(m[2]) : 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`'${spec}': port must be 1-65535`);
  return { host: m[1]!, port };
}

/**
 * Runs `command` (a shell command line without secrets) on the target, writes `stdin` to it and
 * closes its input; resolves with its exit code and output once it ends or `timeoutMs` passes.
 */
export function sshRun(
  target: SshTarget,
  command: string,
  opts: { stdin?: string; timeoutMs: number },
): Promise<SshResult> {
  const where = `${target.host}:${target.port}`;
  const wanted = target.fingerprints.map(normalize);
  return new Promise((resolve, reject) => {
    const conn = new (ssh2().Client)();
    let seen = '';
    let refused = false;
    let settled = false;
    const finish = (err: Error | undefined, result?: SshResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.end();
      if (err) reject(err);
      else resolve(result!);
    };
    const timer = setTimeout(
      () =>
        finish(new Error(`ssh ${target.username}@${where}: no answer within ${Math.round(opts.timeoutMs / 1000)} s`)),
      opts.timeoutMs,
    );
    conn.on('error', (err: Error & { level?: string }) => {
      if (refused) return finish(new HostKeyRefused(where, seen));
      const why = err.level === 'client-authentication' ? 'the key was not accepted' : err.message;
      finish(new Error(`ssh ${target.username}@${where}: ${why}`));
    });
    conn.on('ready', () => {
      conn.exec(command, (err, stream) => {
        if (err) return finish(new Error(`ssh ${target.username}@${where}: ${err.message}`));
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('close', (code: number | null) => finish(undefined, { code, stdout, stderr, fingerprint: seen }));
        stream.end(opts.stdin ?? '');
      });
    });
    conn.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      ...(target.passphrase ? { passphrase: target.passphrase } : {}),
      readyTimeout: opts.timeoutMs,
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOf(key);
        const ok = wanted.length ? wanted.includes(seen) : target.trustOnFirstUse;
        refused = !ok;
        return ok;
      },
    });
  });
}
