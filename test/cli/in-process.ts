import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBundledCommand } from '../../src/cli/bundled-command.js';
import { ROOT, runCli, type CliResult, type RunOptions } from './helpers.js';

/**
 * Runs a command inside the test's own process: the command class from src/commands, parsed and
 * run as a bundled run runs it (src/cli/bundled-command.ts), with the environment runCli would give
 * the child, stdout and stderr captured, and the exit code the process would have exited with.
 * For tests of what a command prints and answers; a process boundary (exit after flush, signals,
 * the fast paths of bin/run.js, a closed pipe) needs runCli. A run that writes to stdin falls back
 * to runCli. Runs take turns (they swap the process's environment and output streams): two
 * started together, as with Promise.all, run one after the other.
 */
interface ManifestCommand {
  id: string;
  aliases?: string[];
  relativePath?: string[];
}

const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>;
};
const byName = new Map<string, ManifestCommand>();
for (const c of Object.values(manifest.commands)) {
  byName.set(c.id, c);
  for (const a of c.aliases ?? []) byName.set(a, c);
}

/** The command the longest prefix of `args` names (`instances list` or `instances:list`), and the rest. */
function commandOf(args: string[]): { command: ManifestCommand; argv: string[] } | undefined {
  const words = args[0]?.includes(':') ? [...args[0].split(':'), ...args.slice(1)] : args;
  for (let n = words.length; n > 0; n--) {
    const command = byName.get(words.slice(0, n).join(':'));
    if (command) return { command, argv: words.slice(n) };
  }
  return undefined;
}

function sourceOf(command: ManifestCommand): string {
  const rel = command.relativePath?.slice(2) ?? command.id.split(':');
  const file = `${join(ROOT, 'src', 'commands', ...rel).replace(/\.js$/, '')}.ts`;
  if (!existsSync(file)) throw new Error(`no source for command ${command.id} (${file})`);
  return file;
}

function swapEnv(env: Record<string, string | undefined> | undefined): () => void {
  const saved = { ...process.env };
  const next: Record<string, string> = { PATH: saved.PATH ?? '/usr/bin:/bin' };
  // Temporary files stay under the run's folder (test/setup/leftover-processes.ts), as a child's would.
  if (saved.TMPDIR) next.TMPDIR = saved.TMPDIR;
  for (const [k, v] of Object.entries(env ?? {})) if (v !== undefined) next[k] = v;
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, next);
  return () => {
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}

type Write = typeof process.stdout.write;

function capture(stream: NodeJS.WriteStream, into: string[]): () => void {
  const original = stream.write;
  stream.write = ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as Write;
  return () => {
    stream.write = original;
  };
}

/** The run in progress: in-process runs swap process-wide state, so they take turns. */
let turn: Promise<unknown> = Promise.resolve();

export function runCliInProcess(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  if (opts.input !== undefined || opts.onSpawn) return runCli(args, opts);
  const run = turn.then(() => runOnce(args, opts));
  turn = run.catch(() => undefined);
  return run;
}

async function runOnce(args: string[], opts: RunOptions): Promise<CliResult> {
  const found = commandOf(args);
  if (!found) return runCli(args, opts); // help, unknown commands: bin/run.js's own paths
  const { default: Cmd } = (await import(sourceOf(found.command))) as { default: never };
  const out: string[] = [];
  const err: string[] = [];
  const sigint = new Set(process.listeners('SIGINT'));
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  const stdinTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  const restoreEnv = swapEnv(opts.env);
  const restoreOut = capture(process.stdout, out);
  const restoreErr = capture(process.stderr, err);
  let code: number | undefined;
  try {
    code = await runBundledCommand(Cmd, found.argv, {
      root: ROOT,
      id: found.command.id,
      userAgent: `${pjson.name}/${pjson.version} in-process-test`,
      pjson,
    });
  } finally {
    restoreErr();
    restoreOut();
    restoreEnv();
    if (stdinTty) Object.defineProperty(process.stdin, 'isTTY', stdinTty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
    process.exitCode = exitCode;
    for (const l of process.listeners('SIGINT')) if (!sigint.has(l)) process.removeListener('SIGINT', l);
  }
  if (code === undefined) return runCli(args, opts); // what oclif itself must run (user plugins)
  const stdout = out.join('');
  return { code, signal: null, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) };
}
