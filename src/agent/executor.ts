import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResultStatus } from '../shared/protocol.js';
import type { Redactor } from '../shared/redact.js';
import type { CommandWrap } from '../shared/sandbox-mounts.js';
import { LineSplitter, OutputCap, type OutputLine } from './output.js';
import { killTree, processesWithEnv } from '../shared/process-tree.js';
import { IDENTIFIER } from '../shared/identifiers.js';

/** What one script run needs; the script text is already rendered. */
export interface ScriptSpec {
  executionId: string;
  /** Rendered script. Run by its `#!` interpreter when it has one, else by bash. */
  script: string;
  /** Working directory (created if missing). */
  cwd: string;
  /** Complete environment of the script. */
  env: Record<string, string>;
  /** Where the temporary script file goes (private to the agent). */
  scriptsDir: string;
  timeoutMs: number;
  outputCapBytes: number;
  /** Time between SIGTERM and SIGKILL on timeout or cancel. */
  killGraceMs: number;
  redactor: Redactor;
  /** Starts the script inside its machine's sandbox (host agent); default: directly. */
  wrap?: CommandWrap;
  /**
   * Whether the script's machine itself went away (host agent): asked when the script was
   * SIGKILLed by nobody in this run, so a machine crash reads `killed`, as an agent's death would.
   */
  machineLost?: () => Promise<boolean>;
}

export interface ScriptOutcome {
  status: ResultStatus;
  exitCode: number | null;
  signal: string | null;
  truncated: boolean;
  startedAt: number;
  finishedAt: number;
  message?: string;
}

/** A failure with no exit code: the script could not be prepared, rendered or started, or its run broke. */
export function failedOutcome(startedAt: number, message: string): ScriptOutcome {
  return {
    status: 'failed',
    exitCode: null,
    signal: null,
    truncated: false,
    startedAt,
    finishedAt: Date.now(),
    message,
  };
}

/** How long output pipes may stay open after the script exits (background children holding them). */
const DRAIN_MS = 1000;
export const EXECUTION_ENV = 'ELASTICBOX_EXECUTION_ID';

/**
 * One running script: its own process group, line-by-line output with secrets masked, an output
 * cap, and a timeout that kills the whole group. Background processes the script leaves behind
 * when it exits normally keep running (start scripts launch daemons); only timeout and cancel kill.
 */
export class ScriptRun {
  readonly done: Promise<ScriptOutcome>;
  /** Process group id (= pid of the script); undefined if the spawn failed. */
  pgid: number | undefined;
  private killReason: 'timeout' | 'killed' | undefined;
  private killing: Promise<boolean> | undefined;
  private exited = false;

  constructor(
    private readonly spec: ScriptSpec,
    onOutput: (line: OutputLine) => void,
  ) {
    this.done = this.run(onOutput);
  }

  /** Kills the process group; the outcome's status becomes `killed`. */
  cancel(): void {
    this.kill('killed');
  }

  private kill(reason: 'timeout' | 'killed'): void {
    if (this.killReason || this.exited || this.pgid === undefined) return;
    this.killReason = reason;
    const strays = () => processesWithEnv(EXECUTION_ENV, this.spec.executionId);
    this.killing = killTree({ pgid: this.pgid, strays, graceMs: this.spec.killGraceMs });
  }

  private async run(onOutput: (line: OutputLine) => void): Promise<ScriptOutcome> {
    const { spec } = this;
    const startedAt = Date.now();
    const cap = new OutputCap(spec.outputCapBytes, onOutput);
    const file = join(spec.scriptsDir, `${spec.executionId}.sh`);
    const fail = (message: string) => failedOutcome(startedAt, message);
    try {
      mkdirSync(spec.cwd, { recursive: true });
      mkdirSync(spec.scriptsDir, { recursive: true, mode: 0o700 });
      writeFileSync(file, spec.script, { mode: 0o700 });
    } catch (err) {
      return fail(`cannot prepare the script: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const argv = interpreter(spec.script, file);
    const [command, ...args] = spec.wrap ? spec.wrap(argv, spec.cwd) : argv;
    const child = spawn(command!, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pgid = child.pid;
    const splitters = [
      new LineSplitter('stdout', spec.redactor, (l) => cap.accept(l)),
      new LineSplitter('stderr', spec.redactor, (l) => cap.accept(l)),
    ] as const;
    child.stdout.on('data', (chunk: Buffer) => splitters[0].push(chunk));
    child.stderr.on('data', (chunk: Buffer) => splitters[1].push(chunk));
    const timer = setTimeout(() => this.kill('timeout'), spec.timeoutMs);

    const exit = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    });
    clearTimeout(timer);
    if (this.killing) await this.killing;
    this.exited = true;
    let lostMachine = false;
    if (!this.killReason && exit.signal === 'SIGKILL' && spec.machineLost && (await spec.machineLost())) {
      this.killReason = 'killed';
      lostMachine = true;
    }
    await this.drain(child.stdout, child.stderr);
    for (const s of splitters) s.end();
    cap.finish();
    rmSync(file, { force: true });

    if (exit.error) return fail(`cannot start the script: ${(exit.error as NodeJS.ErrnoException).code ?? 'error'}`);
    const status: ResultStatus = this.killReason ?? (exit.code === 0 ? 'success' : 'failed');
    return {
      status,
      exitCode: exit.code,
      signal: exit.signal,
      truncated: cap.truncated,
      startedAt,
      finishedAt: Date.now(),
      ...(lostMachine ? { message: 'the machine stopped while the script was running' } : {}),
    };
  }

  /**
   * Waits (bounded) for the output pipes to close. Pipes still held open by background processes
   * the script left running are then read and discarded rather than closed: closing them would
   * kill a daemon with SIGPIPE on its next write. Their output is not reported.
   */
  private async drain(...streams: Readable[]): Promise<void> {
    const ended = streams.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.readableEnded || s.destroyed) resolve();
          s.once('end', () => resolve());
          s.once('close', () => resolve());
        }),
    );
    const stopTimer = new AbortController();
    const late = delay(DRAIN_MS, undefined, { signal: stopTimer.signal }).catch(() => undefined);
    await Promise.race([Promise.all(ended), late]);
    stopTimer.abort();
    for (const s of streams) {
      if (s.readableEnded || s.destroyed) continue;
      s.removeAllListeners('data');
      s.on('data', () => {});
      (s as Socket).unref?.();
    }
  }
}

/**
 * How the kernel would run the file, done by hand: `#!interp [arg]` → `interp arg file`, anything
 * else → `bash file`. Never exec'ing the freshly written file itself avoids ETXTBSY races.
 */
export function interpreter(script: string, file: string): string[] {
  const shebang = /^#!\s*(\S+)(?:[ \t]+([^\r\n]*?))?[ \t]*\r?\n/.exec(script);
  if (!shebang) return ['bash', file];
  return shebang[2] ? [shebang[1]!, shebang[2], file] : [shebang[1]!, file];
}

/** Names the agent never exports from variables: they change how the shell or loader behaves. */
const UNSAFE_ENV = new Set([
  'PATH',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'LD_AUDIT',
  'NODE_OPTIONS',
]);

/** Whether a variable may be exported into a script's environment under its own name. */
export function exportable(name: string): boolean {
  return IDENTIFIER.test(name) && !UNSAFE_ENV.has(name) && !name.startsWith('ELASTICBOX_');
}

/**
 * The script environment: the agent's own environment (minus ELASTICBOX_* and EBCLI_*, which may
 * hold the CLI's credentials), the box variables
 * (names that are not valid shell names or are in the unsafe list are skipped; they stay in the
 * template context), then the agent's ELASTICBOX_* values and PATH with the helper bin dir first.
 */
export function scriptEnv(
  base: NodeJS.ProcessEnv,
  variables: Record<string, string>,
  agent: Record<string, string>,
  binDir: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !/^(ELASTICBOX|EBCLI)_/.test(k)) env[k] = v;
  for (const [k, v] of Object.entries(variables)) if (exportable(k)) env[k] = v;
  Object.assign(env, agent);
  env.PATH = base.PATH ? `${binDir}:${base.PATH}` : `${binDir}:/usr/local/bin:/usr/bin:/bin`;
  return env;
}
