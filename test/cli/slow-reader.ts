import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './helpers.js';

/** What a CLI run printed, stdout as bytes, and how it ended. */
export interface PipedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface SlowReaderOptions {
  env: Record<string, string>;
  /**
   * The reader takes nothing from the pipe until this resolves (the CLI may have finished by then);
   * it sees what the CLI has written to stderr so far.
   */
  startWhen: (stderr: () => string) => Promise<void>;
  /** Then it takes one chunk (at most 64 KiB) per this many milliseconds. */
  pauseMs?: number;
  timeoutMs?: number;
  /** Called with the child once it runs (to send signals). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Spawns `node bin/run.js …` with a clean environment plus `env`; stdin is /dev/null. */
function spawnCli(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs the CLI with its stdout piped into a deliberately slow reader, as `ebcli … | (sleep 1; jq)`
 * does: it reads nothing at first, then little at a time. Whatever the CLI leaves unwritten when it
 * exits is lost, so the bytes read are what a pipeline would get.
 */
export function runWithSlowReader(args: string[], opts: SlowReaderOptions): Promise<PipedRun> {
  const child = spawnCli(args, opts.env);
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const closed = new Promise<PipedRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(chunks), stderr });
    });
  });
  opts.onSpawn?.(child);
  // Paused before the listener is attached, so that nothing is read before the reader starts. It
  // starts at the latest when the CLI exits (Node would otherwise drop what is in the pipe); what the
  // CLI left unwritten is lost, as in a shell pipeline.
  child.stdout.pause();
  let reading = false;
  const startReading = () => {
    if (reading) return;
    reading = true;
    child.stdout.resume();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    child.stdout.pause();
    if (reading) setTimeout(() => child.stdout.resume(), opts.pauseMs ?? 4);
  });
  child.on('exit', startReading);
  void opts.startWhen(() => stderr).then(startReading);
  return closed;
}

/**
 * Runs the CLI with the reader of `stream` closing it as soon as it has one line (`| head -1`), or
 * at once when `afterLine` is false (nothing read).
 */
export function runWithEarlyClose(
  args: string[],
  env: Record<string, string>,
  stream: 'stdout' | 'stderr',
  afterLine = true,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const closing = child[stream];
  if (!afterLine) closing.destroy();
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  closing.on('data', () => {
    if ((stream === 'stdout' ? stdout : stderr).includes('\n')) closing.destroy();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
