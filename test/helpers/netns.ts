/**
 * Test hosts as network namespaces (issue 11): a namespace joined to the test's host by a veth
 * pair, each end with an address of a random /30 of a private /16, so parallel runs do not
 * collide. Needs root and iproute2. `remove()` deletes the namespace (and with it its end of the
 * pair, the pair itself and any nft table inside) and is safe to call when creation failed half-way.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export interface TestHost {
  /** Namespace name. */
  ns: string;
  /** The test's end of the veth pair, and its address. */
  vethHost: string;
  hostIp: string;
  /** The namespace's end and its address (the test host's address). */
  vethNs: string;
  nsIp: string;
  /** Runs a shell command line inside the namespace (killed after `timeoutMs`). */
  exec(command: string, env: Record<string, string>, timeoutMs?: number): Promise<ExecResult>;
  remove(): void;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Creates the namespace `ebcli-<letter>-<id>` with veths `e<letter>h<id>` / `e<letter>n<id>` in
 * `10.<secondOctet>.0.0/16` (host B: 10.233, host A: 10.234).
 */
export function createTestHost(letter: string, secondOctet: number): TestHost {
  const id = randomBytes(3).toString('hex');
  const third = randomBytes(1)[0]!;
  const fourth = (randomBytes(1)[0]! & 0x3f) * 4;
  const host: TestHost = {
    ns: `ebcli-${letter}-${id}`,
    vethHost: `e${letter}h${id}`,
    vethNs: `e${letter}n${id}`,
    hostIp: `10.${secondOctet}.${third}.${fourth + 1}`,
    nsIp: `10.${secondOctet}.${third}.${fourth + 2}`,
    exec: (command, env, timeoutMs = 60_000) => inNamespace(host.ns, command, env, timeoutMs),
    remove: () => {
      try {
        run('ip', ['netns', 'del', host.ns]);
      } catch {
        // never created
      }
      try {
        run('ip', ['link', 'del', host.vethHost]);
      } catch {
        // gone with the namespace
      }
    },
  };
  try {
    run('ip', ['netns', 'add', host.ns]);
    run('ip', ['link', 'add', host.vethHost, 'type', 'veth', 'peer', 'name', host.vethNs]);
    run('ip', ['link', 'set', host.vethNs, 'netns', host.ns]);
    run('ip', ['addr', 'add', `${host.hostIp}/30`, 'dev', host.vethHost]);
    run('ip', ['link', 'set', host.vethHost, 'up']);
    run('ip', ['-n', host.ns, 'addr', 'add', `${host.nsIp}/30`, 'dev', host.vethNs]);
    run('ip', ['-n', host.ns, 'link', 'set', host.vethNs, 'up']);
    run('ip', ['-n', host.ns, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    host.remove();
    throw err;
  }
  return host;
}

function inNamespace(ns: string, command: string, env: Record<string, string>, timeoutMs: number) {
  return new Promise<ExecResult>((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
