/**
 * The agent side of the on-machine `elasticbox` helper command. Scripts find the agent through
 * `ELASTICBOX_AGENT_SOCKET` (a unix socket in a 0700 directory, so only the agent's user can
 * connect) and name their execution with `ELASTICBOX_EXECUTION_ID`; requests for an execution that
 * is not running are refused. One request per connection: a JSON line in, a JSON line out.
 * Executions on one machine share a user, so one script could speak for another's id; the socket
 * is a convenience channel, not a security boundary between scripts.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Engine } from './render.js';

export type HelperRequest =
  | { executionId: string; command: 'set'; name: string; value: string }
  | { executionId: string; command: 'config'; template: string; engine: Engine; box?: string }
  | { executionId: string; command: 'notify' };
export type HelperResponse = { ok: true; output?: string } | { ok: false; error: string };
export type HelperHandler = (request: HelperRequest) => HelperResponse | Promise<HelperResponse>;

/** Largest request accepted (a config template read from stdin). */
export const MAX_HELPER_REQUEST_BYTES = 8 * 1024 * 1024;

function validate(value: unknown): HelperRequest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.executionId !== 'string') return undefined;
  if (r.command === 'notify') return r as HelperRequest;
  if (r.command === 'set' && typeof r.name === 'string' && typeof r.value === 'string') return r as HelperRequest;
  if (
    r.command === 'config' &&
    typeof r.template === 'string' &&
    (r.engine === 'jinja' || r.engine === 'velocity' || r.engine === 'both') &&
    (r.box === undefined || typeof r.box === 'string')
  ) {
    return r as HelperRequest;
  }
  return undefined;
}

export class HelperServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    /** Path of the unix socket. */
    readonly path: string,
  ) {}

  /** Listens on `path` (a stale socket file there is replaced). */
  static async listen(path: string, handler: HelperHandler): Promise<HelperServer> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    chmodSync(dirname(path), 0o700);
    rmSync(path, { force: true });
    const server = createServer();
    const helper = new HelperServer(server, path);
    server.on('connection', (socket) => helper.serve(socket, handler));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    return helper;
  }

  private serve(socket: Socket, handler: HelperHandler): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    const reply = (response: HelperResponse) => {
      if (answered) return;
      answered = true;
      socket.end(`${JSON.stringify(response)}\n`);
    };
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      size += chunk.length;
      if (size > MAX_HELPER_REQUEST_BYTES) return reply({ ok: false, error: 'request too large' });
      chunks.push(chunk);
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) return;
      let request: HelperRequest | undefined;
      try {
        request = validate(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        request = undefined;
      }
      if (!request) return reply({ ok: false, error: 'malformed request' });
      Promise.resolve()
        .then(() => handler(request))
        .then(reply, (err: unknown) => reply({ ok: false, error: (err as Error).message }));
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}
