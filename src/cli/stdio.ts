/**
 * How every ebcli command ends, so that no output is lost (issue 9).
 *
 * When stdout or stderr is a pipe, Node writes to it asynchronously: what the pipe cannot take yet
 * (it holds 64 KiB) waits in the process, and `process.exit` drops it. A reader that is not
 * instant (`ebcli events --json | jq`, `| (sleep 1; wc -c)`) then saw output cut at about 64 KiB
 * with exit code 0. Every exit therefore goes through {@link exitAfterFlush}: bin/run.js on every
 * path (fast paths and oclif, whose own `process.exit` in errors/handle.js is routed here), and the
 * base command's Ctrl-C handler.
 *
 * A slow reader that is alive gets everything: a finished command waits for it as long as it
 * takes, as `cat` does. Only an interrupt bounds the wait ({@link INTERRUPT_FLUSH_MS}): Ctrl-C
 * must end the command even when the reader is stuck. A reader that goes away (`| head -1`) ends
 * the command quietly with no stack trace ({@link guardClosedOutput}).
 *
 * This module imports nothing: bin/run.js loads a CommonJS copy of it (dist/cli/stdio.cjs) and the
 * oclif commands the ES module; both copies share one exit state on `globalThis`.
 */

/** How long an interrupted command keeps delivering what it already wrote before it exits anyway. */
export const INTERRUPT_FLUSH_MS = 2000;

interface ExitState {
  /** The exit code decided by the first call to {@link exitAfterFlush}. */
  code?: number;
  flushing: boolean;
}

const STATE = Symbol.for('ebcli.stdio.exit');

function exitState(): ExitState {
  const g = globalThis as typeof globalThis & { [STATE]?: ExitState };
  g[STATE] ??= { flushing: false };
  return g[STATE];
}

type Output = Pick<NodeJS.WriteStream, 'write' | 'destroyed' | 'writable'>;

/**
 * Resolves once everything written to `stream` so far has been handed to the operating system, or
 * the stream failed (a reader that went away). Writes are delivered in order, so the callback of
 * an empty write comes after every earlier write's.
 */
export function flushed(stream: Output): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      stream.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * Resolves when `stream` can take more without buffering in this process (at once when it can):
 * long outputs wait for a slow reader instead of piling up in memory.
 */
export function drained(stream: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (!stream.writableNeedDrain || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

export interface ExitOptions {
  /**
   * Exit after this many milliseconds even if a reader has not taken everything (interrupts
   * only: a finished command waits for its reader however slow it is).
   */
  withinMs?: number;
}

/**
 * Exits the process once stdout and stderr have delivered everything written to them. The first
 * call decides the exit code (`code`, else `process.exitCode`, else 0); later calls (oclif's error
 * handler and then bin/run.js for one failure) keep it, except that a bounded call that runs out
 * of time exits with its own code. Returns at once: code after the call keeps running until the
 * exit, so callers return rather than rely on it not to.
 */
export function exitAfterFlush(code?: number, opts: ExitOptions = {}): void {
  const s = exitState();
  s.code ??= code ?? (typeof process.exitCode === 'number' ? process.exitCode : 0);
  process.exitCode = s.code;
  if (opts.withinMs !== undefined) {
    const bound = code ?? s.code;
    setTimeout(() => process.exit(bound), opts.withinMs);
  }
  if (s.flushing) return;
  s.flushing = true;
  void Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => process.exit(s.code));
}

/**
 * A reader that closes early (`| head -1`) is not an error: when stdout's reader is gone the
 * command ends quietly (exit 0 unless a code was already decided), with no stack trace; when
 * stderr's is, notes are dropped and the command goes on (its data still reaches stdout). Any
 * other stdout failure is reported in one line on stderr, exit 1.
 */
export function guardClosedOutput(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return exitAfterFlush(0);
    if (!process.stderr.destroyed) process.stderr.write(`ebcli: cannot write to stdout: ${err.message}\n`);
    exitAfterFlush(1);
  });
  process.stderr.on('error', () => undefined);
}
