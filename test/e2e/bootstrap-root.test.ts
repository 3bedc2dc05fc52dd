/**
 * The bootstrap one-liner run as root (issue 11): it creates the unprivileged `ebcli` user, installs
 * the agent under /opt/ebcli-agent with its configuration in /etc/ebcli-agent (0600, owned by
 * ebcli), and, without systemd, starts it supervised with a pid file in /var/lib/ebcli-agent,
 * running as ebcli; the machine comes online. Root's install writes system folders and the user
 * database, so it runs in a mount and PID namespace of its own: /opt and /var are fresh tmpfs, /etc
 * is a copy bound over the real one. The host's own /etc/passwd and /opt are left untouched, and
 * killing the namespace's first process ends everything it started. Needs root (CI runs as root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, serverEnv, tempHome } from '../cli/helpers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/standalone-agent.js';

const isRoot = process.getuid?.() === 0;
if (process.env.CI && !isRoot) throw new Error('bootstrap-root.test.ts needs root in CI');

let t: TestServer | undefined;
let ns: ChildProcess | undefined;
const dirs: string[] = [];

/** Host pids of the processes naming the installed program (/opt/ebcli-agent/…), with their argv. */
function agentProcesses(): { pid: number; uid: number; argv: string[] }[] {
  const out: { pid: number; uid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv.some((a) => a.startsWith('/opt/ebcli-agent/'))) continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      out.push({ pid: Number(entry), uid, argv });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

afterAll(async () => {
  // SIGKILL to unshare's child (the namespace's first process, --kill-child) ends every process in it.
  ns?.kill('SIGKILL');
  await until(() => agentProcesses().length === 0, 'the namespace to end', 15_000).catch(() => undefined);
  await t?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.runIf(isRoot)('bootstrap one-liner as root', () => {
  it('creates the ebcli user, installs system-wide and runs the agent as ebcli, supervised', async () => {
    ensureBuilt();
    t = await startTestServer();
    const home = tempHome();
    dirs.push(home.home);
    const env = { ...home.env, ...serverEnv(t) };
    const reg = await runCli(['machines', 'register', '--claims', 'linux,root', '--expires', '10m', '--json'], { env });
    expect(reg.code, reg.stderr).toBe(0);
    const etc = mkdtempSync(join(tmpdir(), 'ebcli-root-etc-'));
    dirs.push(etc);
    expect(spawnSync('cp', ['-a', '/etc/.', etc]).status).toBe(0);
    const hostPasswd = readFileSync('/etc/passwd', 'utf8');

    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /opt',
      'mount -t tmpfs tmpfs /var',
      'mount --bind "$ETC_COPY" /etc',
      'EBCLI_AGENT_MODE=root sh -c "$BOOTSTRAP"',
      'echo BOOTSTRAPPED',
      'exec sleep 600',
    ].join('\n');
    ns = spawn(
      'unshare',
      [
        '--mount',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        script,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: '/root',
          ETC_COPY: etc,
          BOOTSTRAP: reg.json().user_command,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    ns.stdout!.on('data', (d) => (out += d));
    ns.stderr!.on('data', (d) => (out += d));
    await until(() => out.includes('BOOTSTRAPPED') || ns!.exitCode !== null, 'the bootstrap to finish', 60_000);
    expect(out, out).toContain('BOOTSTRAPPED');
    expect(out).toContain('created the unprivileged user ebcli');
    expect(out).toContain('sha256 verified');

    // The namespace's view of the file system, through its first process.
    const root = `/proc/${ns.pid}/root`;
    const line = readFileSync(`${root}/etc/passwd`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('ebcli:'));
    expect(line, 'the ebcli user in the namespace').toBeTruthy();
    const uid = Number(line!.split(':')[2]);
    expect(uid).toBeGreaterThan(0);
    const conf = statSync(`${root}/etc/ebcli-agent/agent.conf`);
    expect(conf.mode & 0o777).toBe(0o600);
    expect(conf.uid).toBe(uid);
    expect(existsSync(`${root}/opt/ebcli-agent/ebcli-agent.mjs`)).toBe(true);
    expect(Number(readFileSync(`${root}/var/lib/ebcli-agent/agent.pid`, 'utf8'))).toBeGreaterThan(0);

    const online = await until(
      async () => {
        const list = await runCli(['machines', 'list', '--json'], { env });
        return (list.json() as any[]).find((m) => m.state === 'online' && m.claims.includes('root'));
      },
      `the machine online\n${out}`,
      30_000,
    );
    expect(online.claims).toEqual(['linux', 'root']);
    // The agent (node …/ebcli-agent.mjs) and its supervisor (sh …-supervise.sh) run as ebcli;
    // runuser, their root parent, only waits.
    const running = agentProcesses().filter((a) => a.argv[0] !== 'runuser');
    const agent = running.find((a) => a.argv[1] === '/opt/ebcli-agent/ebcli-agent.mjs');
    const supervisor = running.find((a) => a.argv[1] === '/opt/ebcli-agent/ebcli-agent-supervise.sh');
    expect(agent, JSON.stringify(running)).toBeTruthy();
    expect(supervisor, JSON.stringify(running)).toBeTruthy();
    expect([agent!.uid, supervisor!.uid]).toEqual([uid, uid]);
    expect(readFileSync(`${root}/var/log/ebcli-agent/agent.log`, 'utf8')).toContain('"agent connected"');

    // The host itself is untouched.
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(hostPasswd);
    expect(existsSync('/opt/ebcli-agent')).toBe(false);
  }, 120_000);
});
