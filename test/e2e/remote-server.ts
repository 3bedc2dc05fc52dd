import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { dataFiles } from '../../src/shared/paths.js';
import type { Reply, TestServer } from '../helpers/server.js';

const ENTRY = join(import.meta.dirname, 'server-process.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A control plane running as a child process (so a test can SIGKILL it), with the test client API. */
export interface ChildServer {
  process: ChildProcess;
  url: string;
  port: number;
  call: TestServer['call'];
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when the process has exited (by itself, e.g. at a `kill` failpoint, or killed). */
  exited: Promise<void>;
}

/**
 * Starts a server process on `dataDir`; `env` replaces the environment (e.g. to set `EBCLI_FAILPOINT`),
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export async function startChildServer(
  dataDir: string,
  port = 0,
  env: NodeJS.ProcessEnv = process.env,
  nodeArgs: string[] = [],
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', TSX, ENTRY, dataDir, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
  const info = JSON.parse(first) as { url: string; port: number };
  const files = dataFiles(dataDir);
  const dispatcher = new Agent({ connect: { ca: readFileSync(files.caCert, 'utf8') } });
  const token = readFileSync(files.adminToken, 'utf8').trim();
  const call: TestServer['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'elasticbox-token': token, ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    } else if (typeof opts.raw === 'string') body = opts.raw;
    const res = await request(`${info.url}${path}`, { method: method as 'GET', headers, body, dispatcher });
    const text = await res.body.text();
    const json = String(res.headers['content-type'] ?? '').includes('json') && text;
    return { status: res.statusCode, headers: res.headers, body: json ? JSON.parse(text) : text, text } as Reply;
  };
  return {
    process: child,
    url: info.url,
    port: info.port,
    call,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      await dispatcher.close().catch(() => undefined);
    },
  };
}
