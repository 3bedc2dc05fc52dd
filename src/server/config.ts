import { eventTunables, parseDurationMs, type EventTunables } from './events/config.js';
import { DEFAULT_LISTENER, ENV_LISTENER, listenerFromEnv, type ListenerTunables } from './http/listener.js';
import { DEFAULT_TUNABLES, ENV_TUNABLES, tunablesFromEnv, type Tunables } from './workflows/env.js';

/**
 * The server's tunables, read from the environment once (when the server starts or an app is
 * built) into one validated object: workflow engine and agent channel, listener, event log.
 */
export interface ServerConfig {
  workflows: Tunables;
  listener: ListenerTunables;
  events: EventTunables;
  console: ConsoleTunables;
}

export interface ConsoleTunables {
  /** How long a console sign-in lasts (absolute), `EBCLI_SESSION_TTL_MS`. */
  sessionTtlMs: number;
  /** `EBCLI_CONSOLE_ORIGIN` (no trailing slash): the console's origin when not the public URL. */
  origin?: string;
}

/** How long a console sign-in lasts unless `EBCLI_SESSION_TTL_MS` says otherwise. */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** One or more `EBCLI_*` tunables are set to values the server cannot use; names them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid server settings: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Kind = 'number' | 'duration' | 'count' | 'session' | 'origin';

/** Every tunable variable and the form its value must take. */
const VARIABLES: Record<string, Kind> = {
  ...Object.fromEntries(Object.values(ENV_TUNABLES).map((name) => [name, 'number' as const])),
  ...Object.fromEntries(Object.values(ENV_LISTENER).map((name) => [name, 'number' as const])),
  EBCLI_WORKFLOW_CONCURRENCY: 'count',
  EBCLI_MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: 'count',
  EBCLI_EVENTS_MAX_AGE: 'duration',
  EBCLI_EVENTS_PRUNE_INTERVAL: 'duration',
  EBCLI_WS_PING_INTERVAL: 'duration',
  EBCLI_TAIL_HEARTBEAT: 'duration',
  EBCLI_TAIL_POLL: 'duration',
  EBCLI_TAIL_CLOSE_GRACE: 'duration',
  EBCLI_TAIL_TOKEN_RECHECK: 'duration',
  EBCLI_EVENTS_MAX_EVENTS: 'count',
  EBCLI_TAIL_MAX_BUFFERED: 'count',
  EBCLI_SESSION_TTL_MS: 'session',
  EBCLI_CONSOLE_ORIGIN: 'origin',
};

const EXPECTED: Record<Kind, string> = {
  number: 'a positive number',
  duration: 'a positive duration (500ms, 30s, 5m, 24h, 7d or milliseconds)',
  count: 'a positive whole number',
  session: 'a number of milliseconds, at least 1000',
  origin: 'an origin such as https://cam.example.com',
};

function isOrigin(raw: string): boolean {
  try {
    const url = new URL(raw.trim());
    return (url.protocol === 'https:' || url.protocol === 'http:') && (url.pathname === '/' || url.pathname === '');
  } catch {
    return false;
  }
}

function usable(kind: Kind, raw: string): boolean {
  if (kind === 'duration') return (parseDurationMs(raw) ?? 0) > 0;
  if (kind === 'origin') return raw.trim() === '' || isOrigin(raw);
  if (kind === 'session') return Number.isFinite(Number(raw)) && Number(raw) >= 1000;
  const value = Number(raw);
  return raw.trim() !== '' && Number.isFinite(value) && value > 0 && (kind !== 'count' || Number.isInteger(value));
}

/** Reads and checks every tunable once; throws {@link ConfigError} naming each unusable value. */
export function serverConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const problems = Object.entries(VARIABLES).flatMap(([name, kind]) => {
    const raw = env[name];
    return raw === undefined || usable(kind, raw) ? [] : [`${name}=${JSON.stringify(raw)} is not ${EXPECTED[kind]}`];
  });
  if (problems.length) throw new ConfigError(problems);
  return {
    workflows: { ...DEFAULT_TUNABLES, ...tunablesFromEnv(env) },
    listener: { ...DEFAULT_LISTENER, ...listenerFromEnv(env) },
    events: eventTunables(env),
    console: {
      sessionTtlMs: env.EBCLI_SESSION_TTL_MS ? Number(env.EBCLI_SESSION_TTL_MS) : DEFAULT_SESSION_TTL_MS,
      ...(env.EBCLI_CONSOLE_ORIGIN?.trim() ? { origin: env.EBCLI_CONSOLE_ORIGIN.trim().replace(/\/+$/, '') } : {}),
    },
  };
}
