import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_BUNDLE = fileURLToPath(new URL('../../dist/agent-bundle/ebcli-agent.mjs', import.meta.url));

export interface StandaloneAgent {
  dir: string;
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * The built agent program copied alone into a temp folder (nothing beside it: no node_modules),
 * configured with `config` (agent.conf in that folder) and started with a bare environment.
 */
export function startStandaloneAgent(
  config: Record<string, string>,
  files: Record<string, string> = {},
  env: Record<string, string> = {},
): StandaloneAgent {
  if (!existsSync(AGENT_BUNDLE)) throw new Error(`${AGENT_BUNDLE} is missing: run npm run build`);
  const dir = mkdtempSync(join(tmpdir(), 'ebcli-standalone-'));
  copyFileSync(AGENT_BUNDLE, join(dir, 'ebcli-agent.mjs'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  writeFileSync(join(dir, 'agent.conf'), JSON.stringify(config), { mode: 0o600 });
  const child = spawn(process.execPath, [join(dir, 'ebcli-agent.mjs'), '--config', join(dir, 'agent.conf')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    dir,
    child,
    exited,
    log: () => {
      try {
        return readFileSync(join(dir, 'agent.log'), 'utf8') + stderr;
      } catch {
        return stderr;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function until<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
