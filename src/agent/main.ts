/**
 * The machine agent: `runAgent(opts)` connects to the control plane, runs the event scripts it is
 * sent and delivers their output and results exactly once (see src/shared/protocol.ts).
 *
 * The `ebcli agent` command is a thin wrapper around {@link runAgent}; its flags map 1:1:
 * `--url` (control plane URL), `--token-file` (file holding the machine token; never a flag value,
 * argv is world-readable), `--ca-file`, `--workdir` (default /var/elasticbox), `--spool-dir`,
 * `--machine` (machine name). It should run until SIGTERM/SIGINT and then call `handle.stop()`.
 *
 * A script runs with bash (or its `#!` interpreter) in `<workdir>/<instanceId>`, in its own process
 * group, with the agent's environment (minus ELASTICBOX_* and EBCLI_*), the `env` variables of its
 * `execute`, and: ELASTICBOX_SCOPE (dotted box scope), ELASTICBOX_INSTANCE_ID, ELASTICBOX_PATH (the
 * instance folder, = `{{ folder }}`), ELASTICBOX_INSTANCE_PATH (the workdir), ELASTICBOX_EVENT,
 * ELASTICBOX_MACHINE, ELASTICBOX_AGENT_SOCKET, ELASTICBOX_EXECUTION_ID, and PATH starting with the
 * directory holding the `elasticbox` helper command.
 *
 * Files the agent keeps under `<spoolDir>`: the outbox (spool.ts) and `run/` with `bin/elasticbox`
 * (the helper command, first on every script's PATH), `scripts/` (rendered scripts, deleted after
 * each run) and `agent.sock` (the helper socket; in a private temp dir if that path is too long).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { sharedTrust } from '../shared/tls-trust.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SecureContext } from 'node:tls';
import type { BackoffOptions } from '../shared/backoff.js';
import type { CommandWrap } from '../shared/sandbox-mounts.js';
import { AGENT_PATH, DEFAULT_PING_INTERVAL_MS } from '../shared/protocol.js';
import { AgentConnection } from './connection.js';
import type { AgentLogger } from './logger.js';
import { HelperServer } from './helper-server.js';
import { AgentRuntime } from './runtime.js';
import { Spool } from './spool.js';

export type { AgentLogger, LogLevel } from './logger.js';

export interface AgentOptions {
  /** Control plane URL: `https://host:port` (the agent adds /services/agent) or a full `wss://` URL. */
  url: string;
  /** This machine's agent token (sent as `Authorization: Bearer`). */
  token: string;
  /** PEM file of a CA to trust in addition to the system roots. */
  caFile?: string;
  /** HTTP proxy URL for the connection (see proxy.ts); undefined connects directly. */
  proxy?: string;
  /** How scripts run the `elasticbox` helper (argv prefix); default: the helper file beside the agent. */
  helperCommand?: string[];
  /** Scripts run in `<workdir>/<instanceId>` (CAM: /var/elasticbox). */
  workdir: string;
  /** The on-disk outbox and the agent's private runtime files. */
  spoolDir: string;
  /** Machine name reported in `hello`. */
  machine: string;
  /** Heartbeat interval P (default 20 s); a server silent for 2P + 5 s is treated as dead. */
  pingIntervalMs?: number;
  /** SIGTERM → SIGKILL grace on timeout or cancel (default 5 s). */
  killGraceMs?: number;
  /** Reconnect backoff (default full jitter 1 s → 60 s). */
  reconnect?: BackoffOptions;
  agentVersion?: string;
  onLog?: AgentLogger;
  /** The base of script environments (default: the agent's own). */
  env?: NodeJS.ProcessEnv;
  /** Starts scripts inside the machine's sandbox (the host agent's machines). */
  wrapCommand?: CommandWrap;
  /** Whether the machine itself went away (see executor.ts). */
  machineLost?: () => Promise<boolean>;
  /** A TLS context shared with the process's other connections (else one from `caFile`). */
  secureContext?: SecureContext;
}

export interface AgentHandle {
  /** Kills running scripts (their results are spooled as `killed`), then disconnects. */
  stop(): Promise<void>;
  readonly connected: boolean;
  /** Execution ids whose scripts are running. */
  readonly running: string[];
  /** Path of the helper socket (ELASTICBOX_AGENT_SOCKET). */
  readonly socketPath: string;
}

export const AGENT_VERSION = '1.0.0';
const MAX_UNIX_SOCKET_PATH = 100;

/** Turns the control plane URL into the agent websocket URL; refuses anything without TLS. */
export function agentUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'wss:') throw new Error('the control plane URL must use https or wss');
  if (!u.pathname.endsWith(AGENT_PATH)) u.pathname = `${u.pathname.replace(/\/$/, '')}${AGENT_PATH}`;
  return u.toString();
}

/**
 * The command that runs the helper: the bundled file beside the bundled agent (local machines),
 * the compiled file, or the TypeScript source through tsx.
 */
function helperCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, 'helper-cli.mjs');
  if (existsSync(bundled)) return [process.execPath, bundled];
  const built = join(here, 'entry', 'helper-cli.js');
  if (existsSync(built)) return [process.execPath, built];
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return [process.execPath, '--import', pathToFileURL(tsx).href, join(here, 'entry', 'helper-cli.ts')];
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes `<binDir>/elasticbox`, the CAM helper command scripts call. */
function writeHelperWrapper(binDir: string, helper: string[] = helperCommand()): void {
  mkdirSync(binDir, { recursive: true, mode: 0o700 });
  const command = helper.map(shellQuote).join(' ');
  const wrapper = `#!/bin/sh\n# ElasticBox helper command (elasticbox set|config|notify), installed by the ebcli agent.\nexec ${command} "$@"\n`;
  writeFileSync(join(binDir, 'elasticbox'), wrapper, { mode: 0o755 });
}

/** Starts the agent. Resolves once its spool is loaded and the first connection attempt is under way. */
export async function runAgent(opts: AgentOptions): Promise<AgentHandle> {
  const log: AgentLogger = opts.onLog ?? (() => {});
  const url = agentUrl(opts.url);
  const secureContext = opts.secureContext ?? sharedTrust(opts.caFile ? readFileSync(opts.caFile, 'utf8') : undefined);
  const workdir = resolve(opts.workdir);
  const spoolDir = resolve(opts.spoolDir);
  mkdirSync(workdir, { recursive: true });
  // The spool's lock comes first: nothing below may touch the files of an agent still running.
  const spool = new Spool(spoolDir);
  const runDir = join(spoolDir, 'run');
  const binDir = join(runDir, 'bin');
  const scriptsDir = join(runDir, 'scripts');
  let socketPath = join(runDir, 'agent.sock');
  let socketTempDir: string | undefined;
  try {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    writeHelperWrapper(binDir, opts.helperCommand);
    // Rendered scripts hold secrets; any left by a crash go now.
    rmSync(scriptsDir, { recursive: true, force: true });
    if (socketPath.length > MAX_UNIX_SOCKET_PATH) {
      socketTempDir = mkdtempSync(join(tmpdir(), 'ebcli-agent-'));
      socketPath = join(socketTempDir, 'agent.sock');
    }
  } catch (err) {
    spool.close();
    throw err;
  }
  const runtime = new AgentRuntime({
    spool,
    workdir,
    binDir,
    scriptsDir,
    socketPath,
    machine: opts.machine,
    agentVersion: opts.agentVersion ?? AGENT_VERSION,
    killGraceMs: opts.killGraceMs ?? 5000,
    log,
    env: opts.env,
    wrap: opts.wrapCommand,
    machineLost: opts.machineLost,
  });
  runtime.recoverUnfinished();
  let helper: HelperServer;
  try {
    helper = await HelperServer.listen(socketPath, (request) => runtime.handleHelper(request));
  } catch (err) {
    spool.close();
    throw err;
  }
  const connection = new AgentConnection({
    url,
    token: opts.token,
    secureContext,
    proxy: opts.proxy,
    pingIntervalMs: opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
    backoff: opts.reconnect,
    log,
    onOpen: () => runtime.onOpen(),
    onMessage: (message) => runtime.onMessage(message),
    onInvalid: (error) => runtime.onInvalid(error),
  });
  runtime.attach(connection);
  connection.start();

  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        await runtime.stop();
        await connection.stop();
        await helper.close();
        if (socketTempDir) rmSync(socketTempDir, { recursive: true, force: true });
        spool.close();
      })()),
    get connected() {
      return connection.isOpen;
    },
    get running() {
      return runtime.runningIds();
    },
    socketPath,
  };
}
