import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dataFiles, resolveInside } from '../../shared/paths.js';
import { processAlive } from '../../shared/process.js';
import { commandLine, killMarked, killProcessGroup } from './process-group.js';
import type { AgentProcess, MachineSpec, Provider } from './types.js';

/**
 * Environment marker every process of a local machine inherits (its sandbox path). Not `EBCLI_*`
 * or `ELASTICBOX_*`: the agent keeps those out of script environments.
 */
export const MACHINE_MARKER = 'LOCAL_MACHINE_SANDBOX';

const ADDRESS = { public: '127.0.0.1', private: '127.0.0.1' };
const AGENT_LOG_TAIL_LINES = 20;
const AGENT_LOG_TAIL_BYTES = 4096;

export interface LocalProviderOptions {
  dataDir: string;
  /** Overrides how the agent process is started (tests). Receives the agent flags. */
  agentCommand?: (flags: string[]) => { command: string; args: string[] };
}

/**
 * How to start an agent: `bin/run.js agent` when the CLI is built, else this directory's entry
 * file (compiled, or the TypeScript source through tsx when the server itself runs from source).
 */
export function defaultAgentCommand(flags: string[]): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return { command: process.execPath, args: ['--import', tsx, join(dir, 'local-agent-main.ts'), ...flags] };
  }
  const root = resolve(dir, '..', '..', '..');
  if (existsSync(join(root, 'dist', 'commands', 'agent.js'))) {
    return { command: process.execPath, args: [join(root, 'bin', 'run.js'), 'agent', ...flags] };
  }
  return { command: process.execPath, args: [join(dir, 'local-agent-main.js'), ...flags] };
}

/**
 * The embedded default provider: a machine is a sandbox directory under `<dataDir>/machines/<name>`
 * plus one agent process, started detached in its own process group so that it (and the scripts
 * it runs) outlive the server. Its pid is kept in the sandbox for the next server to find.
 */
export class LocalProvider implements Provider {
  readonly kind = 'local';

  constructor(private readonly opts: LocalProviderOptions) {}

  private files(name: string) {
    const root = resolveInside(dataFiles(this.opts.dataDir).machines, name);
    return {
      root,
      token: join(root, 'agent-token'),
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
    if (!processAlive(pid)) return undefined;
    const argv = commandLine(pid);
    return argv && argv.includes(f.spool) ? pid : undefined;
  }

  agentAlive(name: string): boolean {
    return this.agentPid(name) !== undefined;
  }

  /** The last lines of the agent's log once its process is gone (undefined while it runs). */
  agentExitCause(name: string): string | undefined {
    if (this.agentAlive(name)) return undefined;
    let text: string;
    try {
      text = readFileSync(this.files(name).log, 'utf8');
    } catch {
      return 'the agent process is not running and left no log';
    }
    const lines = text.slice(-AGENT_LOG_TAIL_BYTES).trimEnd().split('\n').slice(-AGENT_LOG_TAIL_LINES);
    return lines.join('\n') || 'the agent process exited without writing to its log';
  }

  private prepare(spec: MachineSpec): void {
    const f = this.files(spec.name);
    mkdirSync(f.root, { recursive: true, mode: 0o700 });
    mkdirSync(f.work, { recursive: true });
    mkdirSync(f.spool, { recursive: true, mode: 0o700 });
    if (this.existingToken(spec.name) !== spec.token) {
      writeFileSync(`${f.token}.tmp`, `${spec.token}\n`, { mode: 0o600 });
      renameSync(`${f.token}.tmp`, f.token);
    }
  }

  private start(spec: MachineSpec): AgentProcess {
    const running = this.agentPid(spec.name);
    if (running) return { agentPid: running };
    const f = this.files(spec.name);
    const p = spec.pingIntervalMs;
    const flags = [
      ...['--url', spec.serverUrl, '--token-file', f.token, '--ca-file', dataFiles(this.opts.dataDir).caCert],
      ...['--workdir', f.work, '--spool-dir', f.spool, '--machine', spec.name, '--ping-interval', String(p)],
      ...[
        '--reconnect-base',
        String(Math.min(1000, p)),
        '--reconnect-cap',
        String(Math.min(60_000, Math.max(2000, 5 * p))),
      ],
    ];
    const { command, args } = (this.opts.agentCommand ?? defaultAgentCommand)(flags);
    const log = openSync(f.log, 'a', 0o600);
    try {
      const child = spawn(command, args, {
        cwd: f.root,
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, [MACHINE_MARKER]: f.root },
      });
      child.on('error', () => undefined);
      child.unref();
      if (!child.pid) throw new Error(`could not start the agent of machine ${spec.name}`);
      writeFileSync(f.pid, `${child.pid}\n`);
      return { agentPid: child.pid };
    } finally {
      closeSync(log);
    }
  }

  private async stopAll(name: string): Promise<void> {
    const f = this.files(name);
    const pid = this.agentPid(name);
    if (pid) await killProcessGroup(pid);
    await killMarked(MACHINE_MARKER, f.root);
    rmSync(f.pid, { force: true });
  }

  async provision(spec: MachineSpec) {
    this.prepare(spec);
    return { ...this.start(spec), address: ADDRESS };
  }

  async boot(spec: MachineSpec): Promise<AgentProcess> {
    this.prepare(spec);
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
    rmSync(this.files(name).root, { recursive: true, force: true });
  }
}
