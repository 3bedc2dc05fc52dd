/** Starts bench/lib/shipped-server.mjs (the control plane as it ships) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { serverProcessEnv } from '../../src/shared/server-process-env.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUNDLE = join(ROOT, 'dist', 'server-bundle', 'start.cjs');

export interface ShippedServer {
  process: ChildProcess;
  url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Newest modification time under `dir` (recursively), in ms. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Throws unless dist/server-bundle/start.cjs exists and is newer than every source of the server. */
export function checkBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
  const sources = Math.max(newest(join(ROOT, 'src', 'server')), newest(join(ROOT, 'src', 'shared')));
  if (statSync(BUNDLE).mtimeMs < sources) throw new Error(`${BUNDLE} is older than src/: run \`npm run build\` first`);
}

/** `nodeArgs`: options for node itself (e.g. `--cpu-prof`, not allowed in NODE_OPTIONS). */
export async function startShippedServer(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<ShippedServer> {
  checkBundle();
  const child = spawn(process.execPath, [...nodeArgs, join(import.meta.dirname, 'shipped-server.mjs'), dataDir, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The environment `ebcli server start` gives the server it starts (src/cli/daemon.ts).
    env: serverProcessEnv(env),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
  return {
    process: child,
    url: (JSON.parse(first) as { url: string }).url,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
