import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where oclif looks for user plugins and a user theme (Config.dir and its scoped variables). The
 * paths that answer without oclif's Config (help, bundled commands) step aside when either exists:
 * a user plugin may add or replace commands, a theme changes how help looks.
 */
/** oclif's scoped environment variable name: `ebcli` + `DATA_DIR` → `EBCLI_DATA_DIR`. */
export const scopedEnvKey = (bin: string, name: string) =>
  `${bin.replace(/@/g, '').replace(/[/-]/g, '_').toUpperCase()}_${name}`;

export function oclifUserFiles(bin: string, dirname: string, env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME || homedir();
  const scoped = (name: string) => env[scopedEnvKey(bin, name)];
  return [
    join(scoped('DATA_DIR') || join(env.XDG_DATA_HOME || join(home, '.local/share'), dirname), 'package.json'),
    join(scoped('CONFIG_DIR') || join(env.XDG_CONFIG_HOME || join(home, '.config'), dirname), 'theme.json'),
  ];
}

/** True when oclif itself must run: a user plugin or theme is installed, or debugging is on, or Windows. */
export function oclifRequired(bin: string, dirname: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform === 'win32' || env.DEBUG || env.EBCLI_DEBUG) return true;
  return oclifUserFiles(bin, dirname, env).some((f) => existsSync(f));
}
