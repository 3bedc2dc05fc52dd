import { spawn } from 'node:child_process';
import {
  chmodSync,
  readdirSync,
  chownSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dataFiles, resolveInside } from '../../shared/paths.js';
import { processRunning } from '../../shared/process.js';

import { AGENT_FILE, installAgentProgram } from './agent-bundle.js';
import {
  coverRoot,
  isolationMode,
  machineUser,
  sandboxCommand,
  type IsolationMode,
  type MachineUser,
} from './machine-sandbox.js';
import { HostAgentClient } from './host-agent-client.js';
import { commandLine, firstChild, killMarked, killProcessGroup, processGroupOf } from './process-group.js';
import type { AgentProcess, MachineSpec, Provider } from './types.js';

/**
 * Environment marker every process of a local machine inherits (its sandbox path). Not `EBCLI_*`
 * or `ELASTICBOX_*`: the agent keeps those out of script environments.
 */
export const MACHINE_MARKER = 'LOCAL_MACHINE_SANDBOX';

/** How long an agent must stay gone before its machine is reported as having exited. */
const EXIT_CONFIRM_MS = 1000;

const ADDRESS = { public: '127.0.0.1', private: '127.0.0.1' };
const AGENT_LOG_TAIL_LINES = 20;
const AGENT_LOG_TAIL_BYTES = 4096;

export interface LocalProviderOptions {
  dataDir: string;
  /**
   * Overrides how the agent process is started (tests; no sandbox): then each machine gets an
   * agent process of its own instead of being served by the host agent. Receives the agent flags.
   */
  agentCommand?: (flags: string[]) => { command: string; args: string[] };
  /** Isolation of machines; default: probed (machine-sandbox.ts), `off` with EBCLI_LOCAL_ISOLATION=off. */
  isolation?: IsolationMode;
  /** The server's URL on this host (its public URL may name an address local machines cannot reach). */
  localUrl?: () => string | undefined;
}

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The whole environment of a machine's agent (and so of its scripts), built from scratch: nothing
 * of the server's environment (credentials, tunables, proxies) reaches a machine.
 */
export function machineEnv(root: string, home: string, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const nodeDir = dirname(process.execPath);
  const path = SAFE_PATH.split(':').includes(nodeDir) ? SAFE_PATH : `${SAFE_PATH}:${nodeDir}`;
  const env: Record<string, string> = { PATH: path, HOME: home, LANG: base.LANG || 'C.UTF-8', [MACHINE_MARKER]: root };
  if (base.TZ) env.TZ = base.TZ;
  return env;
}

/** Makes `path` (and, for a folder, everything in it) the machine user's, when it is not already. */
function giveTo(path: string, user: MachineUser, recursive: boolean): void {
  if (statSync(path).uid === user.uid) return;
  chownSync(path, user.uid, user.gid);
  if (!recursive) return;
  for (const entry of readdirRecursive(path)) chownSync(entry, user.uid, user.gid);
}

function readdirRecursive(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((e) => join(dir, e));
}

/**
 * The embedded default provider: a machine is a sandbox directory under `<dataDir>/machines/<name>`
 * plus one agent process, started detached in its own process group so that it (and the scripts
 * it runs) outlive the server. Its pid is kept in the sandbox for the next server to find. The agent
 * runs isolated from the control plane (machine-sandbox.ts) with an environment of its own.
 */
export class LocalProvider implements Provider {
  readonly kind = 'local';

  /** The one process serving every local machine of the host (host-agent-client.ts). */
  private readonly host: HostAgentClient;

  constructor(private readonly opts: LocalProviderOptions) {
    this.host = new HostAgentClient(opts.dataDir, () => {
      const mode = this.mode();
      return { mode, ...(mode === 'root' ? { user: machineUser() } : {}) };
    });
  }

  private mode(): IsolationMode {
    return this.opts.isolation ?? isolationMode(this.opts.dataDir);
  }

  /** The host agent's pid, when it runs (tests and benchmarks signal or measure it). */
  hostAgentPid(): number | undefined {
    return this.host.pid();
  }

  private files(name: string) {
    const root = resolveInside(dataFiles(this.opts.dataDir).machines, name);
    return {
      root,
      token: join(root, 'agent-token'),
      ca: join(root, 'ca.pem'),
      home: join(root, 'home'),
      pid: join(root, 'agent.pid'),
      log: join(root, 'agent.log'),
      work: join(root, 'work'),
      spool: join(root, 'spool'),
    };
  }

  existingToken(name: string): string | undefined {
    try {
      return readFileSync(this.files(name).token, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** The recorded agent pid, if that process is alive and is this machine's agent. */
  private agentPid(name: string): number | undefined {
    const f = this.files(name);
    let pid: number;
    try {
      pid = Number(readFileSync(f.pid, 'utf8').trim());
    } catch {
      return undefined;
    }
    if (!processRunning(pid)) return undefined;
    const argv = commandLine(pid);
    // The host agent's keeper of this machine (its PID 1) names the machine's folder; an agent
    // process of its own (agentCommand, or started by an earlier version) names its spool.
    return argv && (argv.includes(f.spool) || argv[argv.length - 1] === f.root) ? pid : undefined;
  }

  agentAlive(name: string): boolean {
    return this.agentPid(name) !== undefined;
  }

  /** When each machine's agent was first seen gone by {@link agentExitCause}. */
  private readonly deadSince = new Map<string, number>();

  /** The last lines of the agent's log once its process is gone (undefined while it runs). */
  agentExitCause(name: string): string | undefined {
    if (this.agentAlive(name)) {
      this.deadSince.delete(name);
      return undefined;
    }
    // Seen gone twice, EXIT_CONFIRM_MS apart: one look can fall between the agent's start and its
    // pid file (seen once in CI as a deploy failed 5 ms after its machine was provisioned).
    const since = this.deadSince.get(name);
    if (since === undefined) this.deadSince.set(name, Date.now());
    if (since === undefined || Date.now() - since < EXIT_CONFIRM_MS) return undefined;
    this.deadSince.delete(name);
    let text: string;
    try {
      text = readFileSync(this.files(name).log, 'utf8');
    } catch {
      return 'the agent process is not running and left no log';
    }
    const lines = text.slice(-AGENT_LOG_TAIL_BYTES).trimEnd().split('\n').slice(-AGENT_LOG_TAIL_LINES);
    return lines.join('\n') || 'the agent process exited without writing to its log';
  }

  /** The machine's folder; as root, its working parts belong to the machine user. */
  private prepare(spec: MachineSpec, user: MachineUser | undefined): void {
    const f = this.files(spec.name);
    mkdirSync(f.root, { recursive: true, mode: 0o700 });
    // Root mode: the machine user (the host agent's and the scripts') may enter and list its folder
    // (its sandbox is mounted from it) but not change agent.pid.
    chmodSync(f.root, user ? 0o755 : 0o700);
    for (const dir of [f.work, f.spool, f.home]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (this.existingToken(spec.name) !== spec.token) {
      writeFileSync(`${f.token}.tmp`, `${spec.token}\n`, { mode: 0o600 });
      renameSync(`${f.token}.tmp`, f.token);
    }
    // The CA certificate only (never its key): the agent pins it and cannot see tls/ inside its sandbox.
    copyFileSync(dataFiles(this.opts.dataDir).caCert, f.ca);
    chmodSync(f.ca, 0o644);
    closeSync(openSync(f.log, 'a', 0o600));
    if (user) {
      giveTo(f.log, user, false);
      giveTo(f.token, user, false);
      for (const dir of [f.work, f.spool, f.home]) giveTo(dir, user, true);
    }
  }

  private async start(spec: MachineSpec): Promise<AgentProcess> {
    this.deadSince.delete(spec.name);
    const running = this.agentPid(spec.name);
    if (running) return { agentPid: running };
    const mode: IsolationMode = this.mode();
    const user = mode === 'root' ? machineUser() : undefined;
    this.prepare(spec, user);
    return this.opts.agentCommand ? this.startOwnProcess(spec, mode, user) : this.startInHostAgent(spec);
  }

  /** The machine served by the host agent: its sandbox's keeper pid stands for the machine. */
  private async startInHostAgent(spec: MachineSpec): Promise<AgentProcess> {
    const p = spec.pingIntervalMs;
    const reply = await this.host.request({
      op: 'start',
      name: spec.name,
      url: this.opts.localUrl?.() ?? spec.serverUrl,
      pingIntervalMs: p,
      reconnectBaseMs: Math.min(1000, p),
      reconnectCapMs: Math.min(60_000, Math.max(2000, 5 * p)),
    });
    if (!reply.ok || !reply.pid) throw new Error(`could not start machine ${spec.name}: ${reply.error ?? 'no pid'}`);
    writeFileSync(this.files(spec.name).pid, `${reply.pid}\n`);
    return { agentPid: reply.pid };
  }

  /** A machine with an agent process of its own (agentCommand). */
  private async startOwnProcess(spec: MachineSpec, mode: IsolationMode, user: MachineUser | undefined) {
    const f = this.files(spec.name);
    const p = spec.pingIntervalMs;
    const flags = [
      ...['--url', this.opts.localUrl?.() ?? spec.serverUrl, '--token-file', f.token, '--ca-file', f.ca],
      ...['--workdir', f.work, '--spool-dir', f.spool, '--machine', spec.name, '--ping-interval', String(p)],
      ...[
        '--reconnect-base',
        String(Math.min(1000, p)),
        '--reconnect-cap',
        String(Math.min(60_000, Math.max(2000, 5 * p))),
      ],
    ];
    const { command, args } = this.opts.agentCommand
      ? this.opts.agentCommand(flags)
      : await this.agentCommand(mode, f.root, user, flags);
    const sandboxed = !this.opts.agentCommand && mode !== 'off';
    const log = openSync(f.log, 'a', 0o600);
    try {
      const child = spawn(command, args, {
        cwd: f.root,
        detached: true,
        stdio: ['ignore', log, log],
        env: machineEnv(f.root, f.home),
      });
      child.on('error', () => undefined);
      child.unref();
      if (!child.pid) throw new Error(`could not start the agent of machine ${spec.name}`);
      // In a sandbox the agent is the first process of the machine's PID namespace, a child of
      // `unshare`: that is the machine's agent to watch, signal and report (killing it ends every
      // process of the machine; `unshare` ends with it, and it with `unshare`).
      const agentPid = (sandboxed ? await firstChild(child.pid) : undefined) ?? child.pid;
      writeFileSync(f.pid, `${agentPid}\n`);
      return { agentPid };
    } finally {
      closeSync(log);
    }
  }

  /** The bundled agent, started in its sandbox (or directly when isolation is off). */
  private async agentCommand(mode: IsolationMode, root: string, user: MachineUser | undefined, flags: string[]) {
    const agentDir = await installAgentProgram(this.opts.dataDir);
    const node = realpathSync(process.execPath);
    const program = [node, join(agentDir, AGENT_FILE), ...flags];
    if (mode === 'off') return { command: program[0]!, args: program.slice(1) };
    const cover = coverRoot(this.opts.dataDir, mode);
    const readOnly = [{ path: agentDir, file: false }];
    if (node.startsWith(`${cover}/`)) readOnly.push({ path: node, file: true });
    return sandboxCommand({ mode, cover, writable: root, readOnly, user, program });
  }

  private async stopAll(name: string): Promise<void> {
    const f = this.files(name);
    const pid = this.agentPid(name);
    const legacy = pid !== undefined && commandLine(pid)?.includes(f.spool);
    if (!legacy && !this.opts.agentCommand) {
      // The host agent ends the machine's keeper: the kernel then ends every process of the
      // machine's PID namespace, without a look at anyone else's processes.
      const reply = await this.host.requestIfRunning({ op: 'stop', name });
      if (reply && !reply.ok) throw new Error(`could not stop machine ${name}: ${reply.error}`);
      const left = this.agentPid(name);
      if (left) await killProcessGroup(processGroupOf(left) ?? left);
      // Unisolated machines (EBCLI_LOCAL_ISOLATION=off) have no namespace to end: look for strays.
      if (this.mode() === 'off') await killMarked(MACHINE_MARKER, f.root);
    } else {
      // The agent's group: in a sandbox, the group of the `unshare` that started it.
      if (pid) await killProcessGroup(processGroupOf(pid) ?? pid);
      await killMarked(MACHINE_MARKER, f.root);
    }
    rmSync(f.pid, { force: true });
  }

  async provision(spec: MachineSpec) {
    return { ...(await this.start(spec)), address: ADDRESS };
  }

  async boot(spec: MachineSpec): Promise<AgentProcess> {
    return this.start(spec);
  }

  async reboot(spec: MachineSpec): Promise<AgentProcess> {
    await this.stopAll(spec.name);
    return this.boot(spec);
  }

  async powerOff(name: string): Promise<void> {
    await this.stopAll(name);
  }

  async destroy(name: string): Promise<void> {
    await this.stopAll(name);
    // Not rmSync: removing a machine's folder blocked the server ~6 ms a machine (T07 profile).
    await rm(this.files(name).root, { recursive: true, force: true });
  }
}
