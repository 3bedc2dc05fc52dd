import { Flags } from '@oclif/core';
import { parseOverride, type VariableOverride } from '../client/deploy.js';
import { UsageError } from './errors.js';

/** `--data-dir` of the embedded control plane. */
export const dataDirFlag = Flags.string({
  description: 'data directory of the embedded control plane (default: $XDG_DATA_HOME/ebcli)',
});

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `90`, `90s`, `5m`, `1h30m`, `500ms` into milliseconds (a bare number is seconds). */
export function parseDuration(input: string): number {
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== text.length)
    throw new UsageError(`invalid duration "${input}" (use e.g. 90s, 5m, 1h)`);
  return total;
}

/**
 * `--timeout D` (e.g. `10m`), in milliseconds. Its help default is a constant: scripts/help-data.js
 * resolves it once at build time for the help fast path.
 */
export const timeoutFlag = (defaultValue: string, description = 'give up waiting after this long (e.g. 90s, 10m)') =>
  Flags.custom<number>({
    description,
    default: async () => parseDuration(defaultValue),
    defaultHelp: async () => defaultValue,
    parse: async (input) => parseDuration(input),
  })();

export const workspaceFlag = Flags.string({ char: 'w', description: 'workspace id (default: your default workspace)' });

export const yesFlag = Flags.boolean({
  char: 'y',
  description: 'do not ask for confirmation (required without a TTY)',
});

export const concurrencyFlag = Flags.integer({
  description: 'how many targets to act on at once',
  default: 4,
  min: 1,
  max: 64,
});

export const tagFlag = Flags.string({
  char: 't',
  description: 'select by instance tag (repeatable; all must match)',
  multiple: true,
});

/** `-q/--quiet`: ids only, one a line (list and lifecycle commands). */
export const quietFlag = Flags.boolean({
  char: 'q',
  description: 'print ids only, one a line',
  exclusive: ['json'],
});

export const maxFailuresFlag = Flags.string({
  description:
    'failure budget: once more than N targets (or P% of them) have failed, start no new target; running ones finish and the rest are reported not-started',
  helpValue: 'N|P%',
});

/** `-v NAME=VALUE` variable overrides (deploy, apply). */
export const variableFlag = Flags.string({
  char: 'v',
  description: 'variable override NAME=VALUE or scope.NAME=VALUE (repeatable)',
  multiple: true,
});

/** `-t TAG` tags of the instances a command creates (deploy, apply). */
export const instanceTagFlag = Flags.string({ char: 't', description: 'instance tag (repeatable)', multiple: true });

/** The values of `-v NAME=VALUE` flags as overrides; a malformed one is a usage error. */
export function variableOverrides(texts: string[] | undefined): VariableOverride[] {
  return (texts ?? []).map((text) => {
    const o = parseOverride(text);
    if (!o) throw new UsageError(`-v ${text}: expected NAME=VALUE`);
    return o;
  });
}
