import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dataFiles, defaultDataDir } from './paths.js';
import { processAlive } from './process.js';

/** Where a setting's value came from, in precedence order. */
export type SettingSource = 'flag' | 'env' | 'profile' | 'local' | 'none';

export interface Setting {
  value: string | undefined;
  source: SettingSource;
  /** The flag, variable, profile or file behind the value (never the value itself). */
  from?: string;
}

/** A profile as stored by `ebcli login`. */
export interface StoredProfile {
  url?: string;
  token?: string;
  caFile?: string;
  workspace?: string;
}

export interface ProfileStore {
  /** The profile used when neither `--profile` nor `EBCLI_PROFILE` names one. */
  current?: string;
  profiles: Record<string, StoredProfile>;
}

/** What the built-in `local` profile knows about the embedded server. */
export interface LocalState {
  dataDir: string;
  url?: string;
  caFile?: string;
  token?: string;
  /** Whether `server.pid` names a live process. */
  running: boolean;
}

export interface ResolveInput {
  flags: { profile?: string; url?: string; caFile?: string; workspace?: string };
  env: NodeJS.ProcessEnv;
  store: ProfileStore;
  local: LocalState;
}

export interface ResolvedSettings {
  profile: Setting;
  url: Setting;
  token: Setting;
  caFile: Setting;
  workspace: Setting;
  /** The built-in local profile is in use (the embedded server may need starting). */
  isLocal: boolean;
  /** The named profile does not exist (and is not `local`). */
  missingProfile: boolean;
  dataDir: string;
}

export const LOCAL_PROFILE = 'local';

const sameUrl = (a: string | undefined, b: string | undefined) =>
  !!a && !!b && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * Resolves every setting: flag > environment (`EBCLI_*`) > profile > built-in `local` profile.
 * Pure: all inputs are passed in. A profile's token and CA apply only to that profile's URL, so an
 * overriding `--url` never receives a stored token meant for another server.
 */
export function resolveSettings(input: ResolveInput): ResolvedSettings {
  const { flags, env, store, local } = input;
  const pick = (flag: string | undefined, flagName: string, envName: string): Setting | undefined => {
    if (flag) return { value: flag, source: 'flag', from: `--${flagName}` };
    if (env[envName]) return { value: env[envName], source: 'env', from: envName };
    return undefined;
  };

  const profile: Setting =
    pick(flags.profile, 'profile', 'EBCLI_PROFILE') ??
    (store.current
      ? { value: store.current, source: 'profile', from: 'current profile' }
      : { value: LOCAL_PROFILE, source: 'local', from: 'built-in' });
  const name = profile.value!;
  const stored = store.profiles[name];
  const isLocal = !stored && name === LOCAL_PROFILE;
  const missingProfile = !stored && !isLocal;

  const fromProfile = (value: string | undefined): Setting | undefined => {
    if (isLocal || !value) return undefined;
    return { value, source: 'profile', from: `profile ${name}` };
  };
  const fromLocal = (value: string | undefined, from: string): Setting | undefined =>
    isLocal && value ? { value, source: 'local', from } : undefined;
  const none: Setting = { value: undefined, source: 'none' };

  const url = pick(flags.url, 'url', 'EBCLI_URL') ??
    fromProfile(stored?.url) ??
    fromLocal(local.url, 'server.json') ?? { ...none };
  const homeUrl = isLocal ? local.url : stored?.url;
  const urlIsHome = url.source === 'profile' || url.source === 'local' || sameUrl(url.value, homeUrl);

  const token = pick(undefined, 'token', 'EBCLI_TOKEN') ??
    (urlIsHome ? (fromProfile(stored?.token) ?? fromLocal(local.token, 'admin-token')) : undefined) ?? { ...none };
  const caFile = pick(flags.caFile, 'ca-file', 'EBCLI_CA_FILE') ??
    (urlIsHome ? (fromProfile(stored?.caFile) ?? fromLocal(local.caFile, 'server.json')) : undefined) ?? { ...none };
  const workspace = pick(flags.workspace, 'workspace', 'EBCLI_WORKSPACE') ??
    fromProfile(stored?.workspace) ?? {
      ...none,
    };

  return {
    profile,
    url,
    token,
    caFile,
    workspace,
    isLocal: isLocal && (url.source === 'local' || url.source === 'none'),
    missingProfile,
    dataDir: local.dataDir,
  };
}

/** ebcli's config directory: `$XDG_CONFIG_HOME/ebcli` (else the OS default), as conf would place it. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || homedir();
  if (env.XDG_CONFIG_HOME?.startsWith('/')) return join(env.XDG_CONFIG_HOME, 'ebcli');
  if (process.platform === 'darwin') return join(home, 'Library', 'Preferences', 'ebcli');
  if (process.platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'ebcli', 'Config');
  return join(home, '.config', 'ebcli');
}

/** The profile file (written through conf, mode 0600 in a 0700 directory). */
export function profileFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

/**
 * Reads the stored profiles. Reading the JSON directly keeps every command from loading conf
 * (and its schema validator); writes go through conf in {@link saveProfiles}.
 */
export function loadProfileStore(env: NodeJS.ProcessEnv = process.env): ProfileStore {
  try {
    const data = JSON.parse(readFileSync(profileFile(env), 'utf8')) as Partial<ProfileStore>;
    return { current: data.current, profiles: data.profiles ?? {} };
  } catch {
    return { profiles: {} };
  }
}

/** Applies `change` to the stored profiles and writes them back (mode 0600). */
export async function saveProfiles(
  change: (store: ProfileStore) => ProfileStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProfileStore> {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { default: Conf } = await import('conf');
  const conf = new Conf<ProfileStore>({
    cwd: dir,
    configName: 'config',
    projectName: 'ebcli',
    configFileMode: 0o600,
  });
  const next = change({ current: conf.get('current'), profiles: conf.get('profiles') ?? {} });
  conf.store = next.current === undefined ? { profiles: next.profiles } : next;
  chmodSync(conf.path, 0o600);
  return next;
}

function readTrimmed(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Reads what the embedded server left in its data directory (no network). */
export function readLocalState(env: NodeJS.ProcessEnv = process.env, dataDir = defaultDataDir(env)): LocalState {
  const files = dataFiles(dataDir);
  let url: string | undefined;
  let caFile: string | undefined;
  try {
    const state = JSON.parse(readFileSync(files.stateFile, 'utf8')) as { url?: string; caFile?: string };
    url = state.url;
    caFile = state.caFile;
  } catch {
    // not started yet
  }
  if (!caFile && existsSync(files.caCert)) caFile = files.caCert;
  const pid = Number(readTrimmed(files.pidFile));
  return { dataDir, url, caFile, token: readTrimmed(files.adminToken), running: processAlive(pid) };
}
