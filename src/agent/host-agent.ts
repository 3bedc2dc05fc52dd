/**
 * The host agent: ONE process serving every local machine of a host (issue 12), instead of one
 * Node process per machine. Each machine keeps its own sandbox, working directory, process group,
 * token, websocket, spool and Watcher (host-machine.ts); the wire protocol is unchanged (one
 * websocket per machine identity).
 *
 * The server drives it over a unix socket (`control.sock`, in a folder only the server's and the
 * host agent's users can enter, and which no machine can see): one JSON line per request, one
 * JSON line back.
 *
 *   {"op":"start","name":…,"url":…,"pingIntervalMs":…,"reconnectBaseMs":…,"reconnectCapMs":…}
 *        → {"ok":true,"pid":<keeper pid>}   (already running: the same pid)
 *   {"op":"stop","name":…}  → {"ok":true}   once every process of the machine has ended
 *   {"op":"ping"}           → {"ok":true,"machines":<count>}
 *   anything else           → {"ok":false,"error":…}
 *
 * It keeps no list of machines of its own: after a restart it serves what the server starts again.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { SecureContext } from 'node:tls';
import type { AgentLogger } from './logger.js';
import { HostMachine } from './host-machine.js';
import { trustedContext } from '../shared/tls-trust.js';
import type { HostAgentReply, HostAgentRequest } from '../shared/host-agent-control.js';

export interface HostAgentOptions {
  controlPath: string;
  machinesDir: string;
  agentDir: string;
  node: string;
  cover?: string;
  log: AgentLogger;
}

type ControlRequest = HostAgentRequest;
type ControlReply = HostAgentReply;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_REQUEST = 64 * 1024;

function validate(value: unknown): ControlRequest {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (r.op === 'ping') return { op: 'ping' };
  if (typeof r.name !== 'string' || !NAME.test(r.name) || r.name.includes('..'))
    throw new Error('invalid machine name');
  if (r.op === 'stop') return { op: 'stop', name: r.name };
  const ms = (k: string) => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`invalid ${k}`);
    return v;
  };
  if (r.op !== 'start') throw new Error('unknown request');
  if (typeof r.url !== 'string' || !/^(https|wss):\/\//.test(r.url)) throw new Error('invalid url');
  return {
    op: 'start',
    name: r.name,
    url: r.url,
    pingIntervalMs: ms('pingIntervalMs'),
    reconnectBaseMs: ms('reconnectBaseMs'),
    reconnectCapMs: ms('reconnectCapMs'),
  };
}

export class HostAgent {
  private readonly machines = new Map<string, HostMachine>();
  /** Starts and stops in flight, per machine: requests for one machine run one after the other. */
  private readonly queue = new Map<string, Promise<unknown>>();
  private readonly contexts = new Map<string, SecureContext>();
  private server: Server | undefined;

  constructor(private readonly opts: HostAgentOptions) {}

  async listen(): Promise<void> {
    rmSync(this.opts.controlPath, { force: true });
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.controlPath, () => resolve());
    });
    this.opts.log('info', 'host agent listening', {
      control: this.opts.controlPath,
      sandboxed: Boolean(this.opts.cover),
    });
  }

  /** Stops every machine (each ends with its keeper), then the control socket. */
  async stop(): Promise<void> {
    this.server?.close();
    await Promise.all([...this.machines.values()].map((m) => (m.kill(), m.ended)));
    rmSync(this.opts.controlPath, { force: true });
  }

  private serve(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      if (buffer.length > MAX_REQUEST) return socket.destroy();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        void this.handle(line).then((reply) => {
          if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
        });
      }
    });
  }

  private async handle(line: string): Promise<ControlReply> {
    try {
      const request = validate(JSON.parse(line));
      if (request.op === 'ping') return { ok: true, machines: this.machines.size };
      return await this.serial(request.name, () =>
        request.op === 'start' ? this.start(request) : this.stopMachine(request.name),
      );
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  private serial<T>(name: string, task: () => Promise<T>): Promise<T> {
    const before = this.queue.get(name) ?? Promise.resolve();
    const run = before.then(task, task);
    const settled = run.catch(() => undefined);
    this.queue.set(name, settled);
    void settled.then(() => {
      if (this.queue.get(name) === settled) this.queue.delete(name);
    });
    return run;
  }

  private secureContext = (caPem: string): SecureContext => {
    let ctx = this.contexts.get(caPem);
    if (!ctx) this.contexts.set(caPem, (ctx = trustedContext(caPem)));
    return ctx;
  };

  private async start(r: Extract<ControlRequest, { op: 'start' }>): Promise<ControlReply> {
    const running = this.machines.get(r.name);
    if (running?.alive) return { ok: true, pid: running.keeperPid };
    if (running) await running.ended;
    const machine = new HostMachine(
      { ...r, root: join(this.opts.machinesDir, r.name) },
      {
        cover: this.opts.cover,
        agentDir: this.opts.agentDir,
        node: this.opts.node,
        secureContext: this.secureContext,
        log: this.opts.log,
      },
    );
    this.machines.set(r.name, machine);
    void machine.ended.then(() => {
      if (this.machines.get(r.name) === machine) this.machines.delete(r.name);
    });
    try {
      await machine.start();
    } catch (err) {
      await machine.ended;
      throw err;
    }
    return { ok: true, pid: machine.keeperPid };
  }

  private async stopMachine(name: string): Promise<ControlReply> {
    const machine = this.machines.get(name);
    if (!machine) return { ok: true };
    machine.kill();
    await machine.ended;
    return { ok: true };
  }
}
