/**
 * `ebcli-agent`: the machine agent as a program installed on any Linux host (one file, built by
 * `npm run build` into dist/agent-bundle/ebcli-agent.mjs, served at /services/agent/agent.mjs).
 *
 *   node ebcli-agent.mjs [--config FILE]    run (default $EBCLI_AGENT_CONFIG, else /etc/ebcli-agent/agent.conf)
 *   node ebcli-agent.mjs --version
 *
 * It reads its configuration (config.ts), logs JSON lines to `log_file` (default `agent.log`
 * beside the configuration; CAM: elasticbox-agent.log), trades its enrollment token for a machine
 * credential on first start (enroll.ts), then runs the agent (main.ts) outbound only, directly or
 * through the proxy (proxy.ts), with the Watcher beside it (src/watcher), until SIGTERM or SIGINT. Exit status: 0 stopped, 1 failed,
 * 78 configuration or enrollment refused (a supervisor should not restart it as is).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG_FILE, readAgentConfig, readCredential, type AgentConfig } from './config.js';
import { enroll, EnrollError } from './enroll.js';
import { AGENT_VERSION, runAgent, type AgentLogger } from './main.js';
import { proxyFor, proxyForLog, tunnelAgent } from './proxy.js';
import { startBesideAgent } from '../watcher/beside-agent.js';
import { sharedTrust } from '../shared/tls-trust.js';
import { Backoff } from '../shared/backoff.js';

/** The `elasticbox` helper command's source, put into the bundle by scripts/bundle-agent.js. */
declare const __EBCLI_HELPER_SOURCE__: string | undefined;

const EXIT_CONFIG = 78;

function fileLogger(file: string): AgentLogger {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, '', { flag: 'a', mode: 0o600 });
  return (level, message, fields) => {
    try {
      appendFileSync(file, `${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
    } catch {
      // a full disk must not stop the agent
    }
  };
}

/** Writes the embedded helper beside the agent's state; returns how scripts run it. */
function installHelper(stateDir: string): string[] | undefined {
  if (typeof __EBCLI_HELPER_SOURCE__ !== 'string') return undefined;
  const file = join(stateDir, 'helper-cli.mjs');
  writeFileSync(`${file}.tmp`, __EBCLI_HELPER_SOURCE__, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
  return [process.execPath, file];
}

/** The machine credential: the one on file, else one traded for the enrollment token (retried until reachable). */
async function credentialFor(
  config: AgentConfig,
  caPem: string | undefined,
  proxy: string | undefined,
  log: AgentLogger,
) {
  const existing = readCredential(config.credentialFile);
  if (existing) return existing;
  let token: string;
  try {
    token = readFileSync(config.enrollmentFile, 'utf8').trim();
  } catch {
    throw new ConfigError(
      `no machine credential (${config.credentialFile}) and no enrollment token (${config.enrollmentFile})`,
    );
  }
  const backoff = new Backoff({ baseMs: 1000, capMs: 60_000 });
  for (;;) {
    try {
      const credential = await enroll({ url: config.url, token, caPem, proxy, agentVersion: AGENT_VERSION });
      mkdirSync(dirname(config.credentialFile), { recursive: true, mode: 0o700 });
      writeFileSync(`${config.credentialFile}.tmp`, `${JSON.stringify(credential)}\n`, { mode: 0o600 });
      chmodSync(`${config.credentialFile}.tmp`, 0o600);
      renameSync(`${config.credentialFile}.tmp`, config.credentialFile);
      rmSync(config.enrollmentFile, { force: true });
      log('info', 'enrolled', { machine: credential.machine });
      return credential;
    } catch (err) {
      const status = err instanceof EnrollError ? err.status : undefined;
      // Refused for good (token used, expired or unknown): retrying cannot help.
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
        throw new ConfigError((err as Error).message);
      }
      const delay = backoff.next();
      log('warn', 'enrollment failed, retrying', { error: (err as Error).message, retryInMs: delay });
      await sleep(delay);
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, version: { type: 'boolean' } } });
  if (values.version) {
    process.stdout.write(`ebcli-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  const configFile = values.config ?? process.env.EBCLI_AGENT_CONFIG ?? DEFAULT_CONFIG_FILE;
  let config: AgentConfig;
  try {
    config = readAgentConfig(configFile);
  } catch (err) {
    process.stderr.write(`ebcli-agent: ${(err as Error).message}\n`);
    return EXIT_CONFIG;
  }
  const log = fileLogger(config.logFile);
  const proxy = proxyFor(config.url, config.proxy);
  log('info', 'agent starting', {
    version: AGENT_VERSION,
    node: process.version,
    url: config.url,
    ...(proxy ? { proxy: proxyForLog(proxy) } : {}),
  });
  const caPem = config.caFile ? readFileSync(config.caFile, 'utf8') : undefined;
  let stopRequested = false;
  const stopSignal = new Promise<void>((resolve) => {
    const on = () => {
      stopRequested = true;
      resolve();
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
  let credential;
  try {
    credential = await Promise.race([credentialFor(config, caPem, proxy, log), stopSignal.then(() => undefined)]);
  } catch (err) {
    log('error', 'cannot start', { error: (err as Error).message });
    process.stderr.write(`ebcli-agent: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? EXIT_CONFIG : 1;
  }
  if (!credential || stopRequested) return 0;
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const handle = await runAgent({
    url: config.url,
    token: credential.token,
    caFile: config.caFile,
    proxy,
    workdir: config.workdir,
    spoolDir: join(config.stateDir, 'spool'),
    machine: credential.machine,
    helperCommand: installHelper(config.stateDir),
    onLog: log,
  });
  // The Watcher beside the agent (issue 14): its own module, connection and credentials. It
  // enrolls with the machine credential (the server knows it as this host) and keeps its key,
  // password and spool in state_dir/watcher; it goes through the same proxy as the agent.
  const watcher = startBesideAgent({
    server: config.url,
    // The process's one trust (shared/tls-trust.ts): roots, NODE_EXTRA_CA_CERTS and the configured CA.
    secureContext: sharedTrust(caPem),
    ...(proxy ? { agent: tunnelAgent(proxy) } : {}),
    stateDir: join(config.stateDir, 'watcher'),
    machineToken: () => credential.token,
    log: (level, msg, data) => log(level, `watcher: ${msg}`, data),
  });
  await stopSignal;
  log('info', 'agent stopping');
  await watcher.stop();
  await handle.stop();
  return 0;
}

main().then(
  (code) => {
    // A process entry, not library code: it ends its own process.
    // eslint-disable-next-line no-restricted-properties
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`ebcli-agent: ${(err as Error).stack ?? String(err)}\n`);
    // eslint-disable-next-line no-restricted-properties
    process.exit(1);
  },
);
