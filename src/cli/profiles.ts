import { LOCAL_PROFILE, readLocalState, type ProfileStore } from '../shared/config.js';
import { NotFoundCliError, UsageError } from './errors.js';
import { closestMatches } from './suggest.js';

/** One row of `profiles list` (the token itself is never shown, only whether one is stored). */
export interface ProfileRow {
  name: string;
  current: boolean;
  url?: string;
  workspace?: string;
  caFile?: string;
  token: 'stored' | 'none' | 'server admin token';
}

/** The stored profiles plus the built-in `local` one, current marked (EBCLI_PROFILE counts too). */
export function profileRows(store: ProfileStore, env: NodeJS.ProcessEnv = process.env): ProfileRow[] {
  const current = env.EBCLI_PROFILE || store.current || LOCAL_PROFILE;
  const rows: ProfileRow[] = Object.entries(store.profiles)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => ({
      name,
      current: name === current,
      url: p.url,
      workspace: p.workspace,
      caFile: p.caFile,
      token: p.token ? 'stored' : 'none',
    }));
  if (!store.profiles[LOCAL_PROFILE]) {
    const local = readLocalState(env);
    rows.push({
      name: LOCAL_PROFILE,
      current: current === LOCAL_PROFILE,
      url: local.url,
      caFile: local.caFile,
      token: 'server admin token',
    });
  }
  return rows;
}

/** A profile name that must exist (exit 6 naming the profiles there are, with "did you mean"). */
export function checkProfile(store: ProfileStore, name: string, allowLocal: boolean): void {
  if (store.profiles[name]) return;
  if (name === LOCAL_PROFILE) {
    if (allowLocal) return;
    throw new UsageError('the built-in local profile cannot be removed (it stores no credentials)');
  }
  const names = [...Object.keys(store.profiles), LOCAL_PROFILE];
  const [near] = closestMatches(name, names, 1);
  throw new NotFoundCliError(
    `no profile "${name}"${near ? `; did you mean "${near}"?` : ''} (profiles: ${names.join(', ')})`,
  );
}
