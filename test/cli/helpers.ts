import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { insertInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import { newInstanceId } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'run.js');

/** The CLI tests drive the built CLI (`npm run build`, as `npm test` does first). */
export function ensureBuilt(): void {
  for (const f of [
    'dist/cli/base-command.js',
    'dist/cli/stdio.cjs',
    'dist/commands/instances/list.js',
    'oclif.manifest.json',
  ]) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` before the CLI tests`);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (stdin is never a TTY here). */
  input?: string;
  timeoutMs?: number;
  /** Called with the child once it runs (to send signals). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

export interface TempHome {
  home: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** A temporary HOME with its own XDG config and data directories. */
export function tempHome(): TempHome {
  const home = mkdtempSync(join(tmpdir(), 'ebcli-home-'));
  return {
    home,
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data') },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Settings that point the CLI at a test server through the environment. */
export function serverEnv(t: TestServer): Record<string, string> {
  return { EBCLI_URL: t.url, EBCLI_TOKEN: t.token, EBCLI_CA_FILE: join(t.dataDir, 'tls', 'ca.pem') };
}

export interface CliServer {
  t: TestServer;
  home: TempHome;
  /** A temporary HOME plus the settings that point the CLI at `t`. */
  env: Record<string, string>;
}

/**
 * Registers hooks on the enclosing suite that check the CLI is built, start a test server and make a
 * temporary HOME (stopped and removed after the suite). Read the fields inside tests and hooks.
 */
export function useCliServer(): CliServer {
  const cli = {} as CliServer;
  beforeAll(async () => {
    ensureBuilt();
    cli.t = await startTestServer();
    cli.home = tempHome();
    cli.env = { ...cli.home.env, ...serverEnv(cli.t) };
  });
  afterAll(async () => {
    await cli.t?.stop();
    cli.home?.cleanup();
  });
  return cli;
}

/** Runs `node bin/run.js …` with a clean environment (no proxy, no CI, no colour) plus `env`. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    child.stdin.end(opts.input ?? '');
    opts.onSpawn?.(child);
  });
}

/** What a CLI run loaded: module files (require.cache) and Node's list of loaded builtins. */
export interface Loaded {
  files: string[];
  builtins: string[];
}

/** Runs the CLI with a preloaded probe that writes down, as the process exits, what it loaded. */
export async function runCliProbed(args: string[], opts: RunOptions = {}): Promise<CliResult & { loaded: Loaded }> {
  const dir = mkdtempSync(join(tmpdir(), 'ebcli-probe-'));
  try {
    const probe = join(dir, 'probe.cjs');
    const report = join(dir, 'loaded.json');
    writeFileSync(
      probe,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList })));`,
    );
    const r = await runCli(args, { ...opts, env: { ...opts.env, NODE_OPTIONS: `--require ${probe}` } });
    return { ...r, loaded: JSON.parse(readFileSync(report, 'utf8')) as Loaded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SEED_BOX = {
  id: '00000000-0000-4000-8000-000000000000',
  uri: '/services/boxes/00000000-0000-4000-8000-000000000000',
  name: 'Seed',
  owner: 'admin',
  schema: 'http://elasticbox.net/schemas/boxes/script',
  requirements: ['linux'],
  variables: [],
  events: {},
  created: '2026-01-01 00:00:00.000000',
  updated: '2026-01-01 00:00:00.000000',
};

/** Puts an instance document straight into the server's store (no workflow runs for it). */
export async function seedInstance(t: TestServer, fields: Partial<InstanceDoc> = {}): Promise<InstanceDoc> {
  const now = timestamp();
  const id = fields.id ?? newInstanceId();
  const doc: InstanceDoc = {
    id,
    uri: `/services/instances/${id}`,
    schema: 'http://elasticbox.net/schemas/instance',
    name: `seeded-${id}`,
    owner: 'admin',
    box: SEED_BOX.id,
    boxes: [SEED_BOX],
    state: 'done',
    operation: { event: 'deploy', workspace: 'admin', created: now },
    tags: [],
    variables: [],
    bindings: [],
    members: [],
    service: { type: 'Linux Compute', id: 'eb-seed0', machines: [] },
    automatic_updates: 'off',
    created: now,
    updated: now,
    deleted: null,
    ...fields,
  };
  await insertInstance(t.server.db, doc, null);
  return doc;
}
