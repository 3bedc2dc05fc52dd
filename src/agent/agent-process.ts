import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAgent, type AgentLogger } from './main.js';
import { startBesideAgent } from '../watcher/beside-agent.js';

export interface AgentProcessOptions {
  url: string;
  /** File holding the machine token (a token never goes on the command line: argv is world-readable). */
  tokenFile: string;
  caFile?: string;
  workdir: string;
  spoolDir: string;
  machine: string;
  pingIntervalMs?: number;
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
  onLog?: AgentLogger;
  /** How often to check that the token file still exists (default 2 s). */
  watchdogMs?: number;
}

export interface AgentProcess {
  /** Resolves once the agent has stopped: by `stop()`, or because its token file is gone. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs one machine agent as a process's whole job (`ebcli agent` and the local provider's entry).
 * When the token file disappears, the machine was destroyed (its sandbox removed), so the agent
 * stops instead of reconnecting forever.
 */
export async function runAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const handle = await runAgent({
    url: opts.url,
    token: readFileSync(opts.tokenFile, 'utf8').trim(),
    caFile: opts.caFile,
    workdir: opts.workdir,
    spoolDir: opts.spoolDir,
    machine: opts.machine,
    pingIntervalMs: opts.pingIntervalMs,
    reconnect: { baseMs: opts.reconnectBaseMs, capMs: opts.reconnectCapMs },
    onLog: opts.onLog,
  });
  // The Watcher runs beside the agent: its own module, connection and credentials (issue 14).
  const watcher = startBesideAgent({
    server: opts.url,
    ...(opts.caFile ? { ca: readFileSync(opts.caFile, 'utf8') } : {}),
    stateDir: join(opts.spoolDir, 'watcher'),
    machineToken: () => readFileSync(opts.tokenFile, 'utf8').trim(),
    ...(opts.onLog ? { log: (level, msg, data) => opts.onLog!(level, `watcher: ${msg}`, data) } : {}),
  });
  let stopping: Promise<void> | undefined;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(watchdog);
      try {
        await watcher.stop();
        await handle.stop();
      } finally {
        finished();
      }
    })());
  const watchdog = setInterval(() => {
    if (!existsSync(opts.tokenFile)) {
      opts.onLog?.('warn', 'token file removed: the machine is gone, stopping', { machine: opts.machine });
      void stop();
    }
  }, opts.watchdogMs ?? 2000);
  return { done, stop };
}
