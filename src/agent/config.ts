/**
 * The agent's configuration file (CAM: `elasticbox.conf`), JSON, readable by the agent only
 * (0600: it may hold proxy credentials). The bootstrap writes it; `ebcli-agent --config FILE`
 * reads it (default `$EBCLI_AGENT_CONFIG`, else /etc/ebcli-agent/agent.conf).
 *
 * ```json
 * {
 *   "url": "https://cp.example.net:8443",           control plane (https only)
 *   "ca_file": "/etc/ebcli-agent/ca.pem",           extra CA to trust (else system roots, NODE_EXTRA_CA_CERTS)
 *   "proxy": "http://user:secret@proxy:3128",       HTTP CONNECT proxy (else HTTPS_PROXY/https_proxy; NO_PROXY applies)
 *   "credential_file": "/etc/ebcli-agent/credential",   the machine credential (written at enrollment)
 *   "enrollment_file": "/etc/ebcli-agent/enrollment",   one-time enrollment token (deleted once traded)
 *   "workdir": "/var/elasticbox",                   instance folders (CAM's /var/elasticbox)
 *   "state_dir": "/var/lib/ebcli-agent",            outbox (spool) and runtime files
 *   "log_file": "/var/log/ebcli-agent/agent.log"    the agent's log (CAM: elasticbox-agent.log), JSON lines
 * }
 * ```
 * Relative paths are taken from the configuration file's folder. Only `url` is required; the
 * other paths default to files beside the configuration file (`credential`, `enrollment`,
 * `ca.pem` when present, `work/`, `state/`, `agent.log`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkProxyUrl } from './proxy.js';

export const DEFAULT_CONFIG_FILE = '/etc/ebcli-agent/agent.conf';

export interface AgentConfig {
  url: string;
  caFile?: string;
  proxy?: string;
  credentialFile: string;
  enrollmentFile: string;
  workdir: string;
  stateDir: string;
  logFile: string;
}

const KEYS = ['url', 'ca_file', 'proxy', 'credential_file', 'enrollment_file', 'workdir', 'state_dir', 'log_file'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and checks the configuration file; every problem names the file and the setting. */
export function readAgentConfig(file: string): AgentConfig {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: expected a JSON object`);
  const doc = raw as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!KEYS.includes(key)) throw new ConfigError(`${path}: unknown setting "${key}" (known: ${KEYS.join(', ')})`);
    if (typeof doc[key] !== 'string' || !doc[key])
      throw new ConfigError(`${path}: "${key}" must be a non-empty string`);
  }
  const str = (key: string) => doc[key] as string | undefined;
  const url = str('url');
  if (!url) throw new ConfigError(`${path}: "url" (the control plane URL) is required`);
  try {
    if (new URL(url).protocol !== 'https:') throw new Error('not https');
  } catch {
    throw new ConfigError(`${path}: "url" must be an https URL`);
  }
  const proxy = str('proxy');
  if (proxy) {
    try {
      checkProxyUrl(proxy);
    } catch (err) {
      throw new ConfigError(`${path}: "proxy": ${(err as Error).message}`);
    }
  }
  const dir = dirname(path);
  const at = (key: string, fallback: string) => resolve(dir, str(key) ?? fallback);
  const besideCa = resolve(dir, 'ca.pem');
  return {
    url,
    caFile: str('ca_file') ? at('ca_file', '') : existsSync(besideCa) ? besideCa : undefined,
    proxy,
    credentialFile: at('credential_file', 'credential'),
    enrollmentFile: at('enrollment_file', 'enrollment'),
    workdir: at('workdir', 'work'),
    stateDir: at('state_dir', 'state'),
    logFile: at('log_file', 'agent.log'),
  };
}

/** The machine credential file: `{"machine": "<id>", "token": "<secret>"}` (0600). */
export interface MachineCredential {
  machine: string;
  token: string;
}

export function readCredential(file: string): MachineCredential | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const doc = JSON.parse(text) as Partial<MachineCredential>;
  if (typeof doc.machine !== 'string' || typeof doc.token !== 'string' || !doc.machine || !doc.token) {
    throw new ConfigError(`${file}: not a machine credential (expected {"machine", "token"})`);
  }
  return { machine: doc.machine, token: doc.token };
}
