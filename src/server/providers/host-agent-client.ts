/**
 * The server's side of the host agent (src/agent/host-agent.ts): the one process that serves every
 * local machine of this host. Started on first need, in its sandbox (machine-sandbox.ts), detached
 * so that it (and the machines) outlive the server; found again through its pid file by the next
 * server; started again when it died. Requests go over its control socket.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { dataFiles } from '../../shared/paths.js';
import { processAlive } from '../../shared/process.js';
import { HOST_AGENT_FILE, installAgentProgram } from './agent-bundle.js';
import { coverRoot, hostSandboxCommand, type IsolationMode, type MachineUser } from './machine-sandbox.js';
import { commandLine } from './process-group.js';
import type { HostAgentReply, HostAgentRequest } from '../../shared/host-agent-control.js';

const START_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 60_000;
const LOG_TAIL_BYTES = 2048;
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class HostAgentClient {
  private starting: Promise<void> | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly isolation: () => { mode: IsolationMode; user?: MachineUser },
  ) {}

  private files() {
    const dir = join(this.dataDir, 'host-agent');
    return {
      dir,
      control: join(dir, 'control.sock'),
      pid: join(dir, 'host-agent.pid'),
      log: join(dir, 'host-agent.log'),
    };
  }

  /** The running host agent's pid (its command line names this data directory's control socket). */
  pid(): number | undefined {
    const f = this.files();
    let pid: number;
    try {
      pid = Number(readFileSync(f.pid, 'utf8').trim());
    } catch {
      return undefined;
    }
    if (!processAlive(pid)) return undefined;
    return commandLine(pid)?.includes(f.control) ? pid : undefined;
  }

  /** Sends one request, starting the host agent first when it is not running. */
  async request(request: HostAgentRequest): Promise<HostAgentReply> {
    if (!this.pid()) await this.ensure();
    try {
      return await this.send(request);
    } catch (err) {
      // Died (or stopping) between the check and the request: start it again once. Requests are
      // idempotent, so sending one again is safe.
      const old = this.pid();
      for (let i = 0; old && processAlive(old) && i < 300; i++) await delay(10);
      if (old && processAlive(old)) throw err;
      await this.ensure();
      return this.send(request);
    }
  }

  /** Sends a request to a running host agent only (undefined when none runs). */
  async requestIfRunning(request: HostAgentRequest): Promise<HostAgentReply | undefined> {
    if (!this.pid()) return undefined;
    return this.send(request).catch(() => undefined);
  }

  private ensure(): Promise<void> {
    return (this.starting ??= this.start().finally(() => (this.starting = undefined)));
  }

  private send(request: HostAgentRequest): Promise<HostAgentReply> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.files().control);
      let buffer = '';
      socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('the host agent did not answer')));
      socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const nl = buffer.indexOf('\n');
        if (nl === -1) return;
        socket.end();
        try {
          resolve(JSON.parse(buffer.slice(0, nl)) as HostAgentReply);
        } catch (err) {
          reject(err as Error);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('the host agent closed the connection')));
    });
  }

  private async start(): Promise<void> {
    if (this.pid()) return;
    const f = this.files();
    const { mode, user } = this.isolation();
    const machines = dataFiles(this.dataDir).machines;
    mkdirSync(machines, { recursive: true, mode: 0o700 });
    mkdirSync(f.dir, { recursive: true, mode: 0o700 });
    if (user) {
      // The host agent runs as the machine user: it enters the machines' folders and owns its own.
      chmodSync(machines, 0o711);
      chownSync(f.dir, user.uid, user.gid);
    }
    const agentDir = await installAgentProgram(this.dataDir);
    const node = realpathSync(process.execPath);
    const cover = mode === 'off' ? undefined : coverRoot(this.dataDir, mode);
    // EBCLI_HOST_AGENT_CPU_PROF=<dir>: the host agent writes a CPU profile there when it stops (benchmarks).
    const profile = process.env.EBCLI_HOST_AGENT_CPU_PROF;
    const program = [
      ...[node, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
      ...[join(agentDir, HOST_AGENT_FILE), '--control', f.control, '--machines', machines],
      ...['--agent-dir', agentDir, '--node', node, ...(cover ? ['--cover', cover] : [])],
    ];
    const readOnly = [{ path: agentDir, file: false }];
    if (cover && node.startsWith(`${cover}/`)) readOnly.push({ path: node, file: true });
    const { command, args } =
      mode === 'off'
        ? { command: program[0]!, args: program.slice(1) }
        : hostSandboxCommand({ mode, cover: cover!, writable: [machines, f.dir], readOnly, user, program });
    const log = openSync(f.log, 'a', 0o600);
    let pid: number | undefined;
    try {
      const child = spawn(command, args, {
        cwd: f.dir,
        detached: true,
        stdio: ['ignore', log, log],
        // Built from scratch: the machines' environments take LANG and TZ from it, nothing else.
        env: {
          PATH: `${SAFE_PATH}:${dirname(node)}`,
          HOME: f.dir,
          LANG: process.env.LANG || 'C.UTF-8',
          ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
        },
      });
      child.on('error', () => undefined);
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(log);
    }
    if (!pid) throw new Error('could not start the host agent');
    writeFileSync(f.pid, `${pid}\n`, { mode: 0o600 });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (!processAlive(pid)) {
        const hint = user
          ? ' (as root, local machines run as the unprivileged user ebcli-machine in a user namespace of ' +
            'its own: the host must allow unprivileged user namespaces)'
          : '';
        throw new Error(`the host agent exited at start${hint}: ${this.logTail()}`);
      }
      try {
        if ((await this.send({ op: 'ping' })).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the host agent did not start within ${START_TIMEOUT_MS} ms`);
      await delay(10);
    }
  }

  private logTail(): string {
    try {
      const text = readFileSync(this.files().log, 'utf8');
      return text.slice(-LOG_TAIL_BYTES).trim() || 'no message';
    } catch {
      return 'no log';
    }
  }
}
