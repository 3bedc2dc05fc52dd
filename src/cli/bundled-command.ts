import type { Command } from '@oclif/core/command';
import { oclifRequired, scopedEnvKey } from './oclif-user-files.js';

/**
 * Runs one command from its own bundle (scripts/bundle-commands.js) instead of through oclif's
 * `run` (startup budget T2, issue 9). oclif's `run` loads its Config first: the package index,
 * the plugin loader, every plugin's manifest, hooks, then the command's module graph through the
 * ES module loader, about 10× a bare `node -e 0`. Each bundle holds one command with exactly the
 * modules it imports (oclif's Command class, parser and errors among them, not its Config) in one
 * CommonJS file. The command class, its flags and its parsing are the ones oclif would run; this
 * module only stands in for the Config, with the few fields a command reads.
 *
 * What stays with oclif (`undefined` is returned before anything runs): user plugins or a user
 * theme, debug output, Windows, commands of plugins. Help never reaches here (bin/run.js sends it
 * to help-fast first), so help text stays oclif's own.
 */

type CommandClass = (abstract new (argv: string[], config: never) => Command) & { id?: string };

export interface BundledRun {
  /** The package root (where package.json is). */
  root: string;
  /** The command's id (`instances:list`), as the command index resolved it. */
  id: string;
  userAgent: string;
  pjson: { name: string; version: string; oclif: { bin?: string; dirname?: string } };
}

/** Whether a short run may send every request over node:http(s) (see `ClientOptions.plainRequests`). */
let bundledRun = false;
export const runningBundled = () => bundledRun;

/** The part of oclif's Config that Command and ebcli's commands read. */
function configFor(run: BundledRun) {
  const bin = run.pjson.oclif.bin ?? run.pjson.name;
  const key = (name: string) => scopedEnvKey(bin, name);
  return {
    root: run.root,
    name: run.pjson.name,
    version: run.pjson.version,
    pjson: run.pjson,
    bin,
    dirname: run.pjson.oclif.dirname ?? bin,
    userAgent: run.userAgent,
    platform: process.platform,
    arch: process.arch,
    theme: undefined,
    scopedEnvVarKey: key,
    scopedEnvVarKeys: (name: string) => [key(name)],
    scopedEnvVar: (name: string) => process.env[key(name)],
    // ebcli registers no parse or run hooks (package.json: only command_not_found).
    runHook: async () => ({ successes: [], failures: [] }),
  };
}

/** The exit code oclif's error handler would give `err`, after printing it the way it would. */
async function exitCodeOf(err: unknown): Promise<number> {
  const exit = (err as { oclif?: { exit?: unknown } })?.oclif?.exit;
  if (typeof exit === 'number') return exit; // this.exit(code), after the base command reported the error
  const { Exit, handle } = await import('@oclif/core/handle');
  const previous = Exit.exit;
  let code = 1;
  Exit.exit = ((c: number) => {
    code = c;
  }) as typeof Exit.exit;
  try {
    await handle(err as Error);
  } finally {
    Exit.exit = previous;
  }
  return code;
}

/** Runs `Cmd` with `argv` (after its id); resolves with the exit code, or `undefined` when oclif must run it. */
export async function runBundledCommand(
  Cmd: CommandClass,
  argv: string[],
  run: BundledRun,
): Promise<number | undefined> {
  const config = configFor(run);
  if (oclifRequired(config.bin, config.dirname)) return undefined;
  bundledRun = true;
  Cmd.id = run.id;
  const ctor = Cmd as unknown as new (argv: string[], config: unknown) => Command & { _run(): Promise<unknown> };
  const command = new ctor(argv, config);
  try {
    await command._run();
  } catch (err) {
    return exitCodeOf(err);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
