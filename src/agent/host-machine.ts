/**
 * One local machine served by the host agent (host-agent.ts): its sandbox and its agent.
 *
 * The sandbox is a PID and mount namespace of its own, held by a "keeper": a bash reading the
 * host agent's pipe, PID 1 of the machine (it reaps the machine's orphans). Its mount namespace
 * covers `<data-dir>` with an empty tmpfs and mounts back only the machine's folder and the agent
 * program (read-only). Scripts and checks enter it with `nsenter` and run without any capability.
 * When the keeper ends (killed, or the host agent gone: its pipe closes), the kernel ends every
 * process of the machine, daemons that left their process group included: no `/proc` scan.
 *
 * The agent is the ordinary one (main.ts): its own websocket, token, spool, helper socket and
 * Watcher, all inside the host agent's process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContext } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { coverLines, DROP_ALL_CAPS, shellQuote, type CommandWrap } from '../shared/sandbox-mounts.js';
import { startBesideAgent } from '../watcher/beside-agent.js';
import type { AgentLogger } from './logger.js';
import { runAgent, type AgentHandle } from './main.js';

export const MACHINE_MARKER = 'LOCAL_MACHINE_SANDBOX';
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The keeper: PID 1 of the machine until the host agent's pipe closes. */
const KEEPER = 'while read -r _; do :; done';

export interface MachineSettings {
  name: string;
  /** `<machines>/<name>`. */
  root: string;
  url: string;
  pingIntervalMs: number;
  reconnectBaseMs: number;
  reconnectCapMs: number;
}

export interface HostSettings {
  /** Covered by the machine's tmpfs (undefined: isolation off, scripts run beside the host agent). */
  cover?: string;
  agentDir: string;
  /** The node binary (mounted back when under the cover). */
  node: string;
  secureContext: (caPem: string) => SecureContext;
  log: AgentLogger;
}

/** The environment of a machine's scripts, built from scratch (nothing of the host agent's). */
export function machineEnv(root: string, nodeDir: string): Record<string, string> {
  const path = SAFE_PATH.split(':').includes(nodeDir) ? SAFE_PATH : `${SAFE_PATH}:${nodeDir}`;
  const env: Record<string, string> = {
    PATH: path,
    HOME: join(root, 'home'),
    LANG: process.env.LANG || 'C.UTF-8',
    [MACHINE_MARKER]: root,
  };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

/** The children of a process (Linux `/proc/<pid>/task/<pid>/children`). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export class HostMachine {
  /** PID (host view) of the machine's keeper: the machine's process as the server sees it. */
  keeperPid = 0;
  /** Resolves once the machine's sandbox is gone (keeper ended) and its agent stopped. */
  readonly ended: Promise<void>;
  private keeper!: ChildProcess;
  private gone = false;
  private goneSignal!: () => void;
  private readonly goneNow: Promise<void>;
  private agent: AgentHandle | undefined;
  private watcher: { stop(): Promise<void> } | undefined;
  private readonly log: AgentLogger;

  constructor(
    readonly settings: MachineSettings,
    private readonly host: HostSettings,
  ) {
    const logFile = join(settings.root, 'agent.log');
    this.log = (level, message, fields) => {
      try {
        const line = { time: new Date().toISOString(), level, message, machine: settings.name, ...fields };
        appendFileSync(logFile, `${JSON.stringify(line)}\n`);
      } catch {
        // a full disk or a removed machine must not stop the host agent
      }
    };
    this.goneNow = new Promise((resolve) => (this.goneSignal = resolve));
    this.ended = this.goneNow.then(() => this.stopAgent());
  }

  /** Starts the sandbox, then the agent in it. Rejects (the sandbox stopped) when either fails. */
  async start(): Promise<void> {
    await this.startKeeper();
    try {
      await this.startAgent();
    } catch (err) {
      this.kill();
      throw err;
    }
  }

  private env(): Record<string, string> {
    return machineEnv(this.settings.root, join(this.host.node, '..'));
  }

  private startKeeper(): Promise<void> {
    const { root, name } = this.settings;
    const { cover, agentDir, node } = this.host;
    let command: string;
    let args: string[];
    if (cover) {
      const mounts = [
        { path: root, file: false, ro: false },
        { path: agentDir, file: false, ro: true },
        ...(node.startsWith(`${cover}/`) ? [{ path: node, file: true, ro: true }] : []),
      ];
      const setup = ['set -e', ...coverLines(cover, mounts), `cd ${shellQuote(root)}`, 'echo ready'];
      setup.push(`exec setpriv ${DROP_ALL_CAPS.join(' ')} -- /bin/bash -c ${shellQuote(KEEPER)} ebcli-machine "$1"`);
      command = 'unshare';
      args = [
        ...['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private'],
        ...['--', '/bin/sh', '-c', setup.join('\n'), 'ebcli-sandbox', root],
      ];
    } else {
      command = '/bin/bash';
      args = ['-c', `echo ready; ${KEEPER}`, 'ebcli-machine', root];
    }
    const keeper = spawn(command, args, {
      cwd: root,
      env: this.env(),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.keeper = keeper;
    let stderr = '';
    keeper.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    keeper.stdin!.on('error', () => undefined);
    keeper.on('error', () => {
      this.gone = true;
      this.goneSignal();
    });
    keeper.on('exit', (code, signal) => {
      this.gone = true;
      this.log(this.stopping ? 'info' : 'warn', 'machine stopped', { code, signal });
      this.goneSignal();
    });
    return new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (!out.includes('ready\n')) return;
        keeper.stdout!.off('data', onData);
        keeper.stdout!.resume();
        void this.findKeeper(Boolean(cover)).then(resolve, reject);
      };
      keeper.stdout!.on('data', onData);
      keeper.once('error', (err) => reject(new Error(`cannot start machine ${name}: ${err.message}`)));
      keeper.once('exit', () =>
        reject(new Error(`the sandbox of machine ${name} could not start: ${stderr.trim() || 'no message'}`)),
      );
    });
  }

  /** In a sandbox the keeper is `unshare`'s child (the machine's PID 1); else the spawned bash. */
  private async findKeeper(sandboxed: boolean): Promise<void> {
    const outer = this.keeper.pid!;
    if (!sandboxed) {
      this.keeperPid = outer;
      return;
    }
    for (let i = 0; i < 200 && !this.gone; i++) {
      const [child] = childrenOf(outer);
      if (child) {
        this.keeperPid = child;
        return;
      }
      await delay(5);
    }
    throw new Error(`the sandbox of machine ${this.settings.name} has no keeper process`);
  }

  /** The command line that runs `argv` inside the machine, in `cwd`, without any capability. */
  private wrap(): CommandWrap | undefined {
    if (!this.host.cover) return undefined;
    // `env -C`, not nsenter's --wd: nsenter opens that folder before it enters the namespace, and
    // a working directory from the host agent's mount namespace is unreachable from the machine's.
    return (argv, cwd) => [
      'nsenter',
      `--target=${this.keeperPid}`,
      '--mount',
      '--pid',
      '--',
      'setpriv',
      ...DROP_ALL_CAPS,
      '--',
      'env',
      '-C',
      cwd,
      '--',
      ...argv,
    ];
  }

  private async startAgent(): Promise<void> {
    const s = this.settings;
    const tokenFile = join(s.root, 'agent-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    const secureContext = this.host.secureContext(readFileSync(join(s.root, 'ca.pem'), 'utf8'));
    const env = this.env();
    const wrapCommand = this.wrap();
    const machineLost = () => Promise.race([this.goneNow.then(() => true), delay(1000).then(() => this.gone)]);
    this.agent = await runAgent({
      url: s.url,
      token,
      secureContext,
      workdir: join(s.root, 'work'),
      spoolDir: join(s.root, 'spool'),
      machine: s.name,
      pingIntervalMs: s.pingIntervalMs,
      reconnect: { baseMs: s.reconnectBaseMs, capMs: s.reconnectCapMs },
      env,
      wrapCommand,
      machineLost,
      onLog: this.log,
    });
    this.watcher = startBesideAgent({
      server: s.url,
      secureContext,
      stateDir: join(s.root, 'spool', 'watcher'),
      machineToken: () => token,
      commandEnv: env,
      // Checks run in the machine's folder (the host agent's own is not visible in the machine).
      ...(wrapCommand ? { wrapCommand: (argv: string[]) => wrapCommand(argv, s.root) } : {}),
      log: (level, msg, data) => this.log(level, `watcher: ${msg}`, data),
    });
    this.log('info', 'agent started', { keeper: this.keeperPid });
  }

  private stopping = false;

  /** Ends the machine: its keeper (and so every process of it), then its agent. */
  kill(): void {
    this.stopping = true;
    try {
      if (this.keeperPid && this.host.cover) process.kill(this.keeperPid, 'SIGKILL');
      process.kill(-this.keeper.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  get alive(): boolean {
    return !this.gone;
  }

  private async stopAgent(): Promise<void> {
    await this.watcher?.stop().catch(() => undefined);
    await this.agent?.stop().catch((err: Error) => this.log('warn', 'agent stop failed', { error: err.message }));
  }
}
