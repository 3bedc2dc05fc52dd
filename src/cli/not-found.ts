import { distance } from 'fastest-levenshtein';
import { closestMatches } from './suggest.js';

interface CommandLike {
  id: string;
  aliases?: string[];
  hiddenAliases?: string[];
  hidden?: boolean;
}

/**
 * The "command not found" message with its "did you mean", the same from oclif's
 * command_not_found hook (src/hooks/command-not-found.ts) and the help fast path (help-fast.ts).
 * It never prompts: scripts and CI get the suggestion too (exit 2, a usage error).
 */
export function commandNotFoundMessage(
  id: string,
  commands: CommandLike[],
  topics: { name: string; hidden?: boolean }[],
  separator: string,
  bin: string,
): string {
  const words = (c: string) => c.replaceAll(':', separator);
  const visible = commands.filter((c) => !c.hidden);
  const candidates = [
    ...visible.flatMap((c) => [c.id, ...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]),
    ...topics.filter((t) => !t.hidden).map((t) => t.name),
  ].map(words);
  const typed = words(id);
  // `delpoy box` reaches here as `delpoy:box`: match the longest leading words that match anything.
  const parts = id.split(':');
  let best: string[] = [];
  for (let n = parts.length; n > 0 && best.length === 0; n--) {
    const rest = parts
      .slice(n)
      .map((w) => ` ${w}`)
      .join('');
    const word = parts.slice(0, n).join(separator);
    const near = closestMatches(word, candidates, 2);
    // a second suggestion only when it is about as close as the first
    const d0 = near[0] === undefined ? 0 : distance(word, near[0]);
    best = near.filter((c) => distance(word, c) <= d0 + 1).map((c) => `"${bin} ${c}${rest}"`);
  }
  const hint = best.length ? `Did you mean ${best.join(' or ')}?` : `Run "${bin} help" for a list of commands.`;
  return `command ${typed} not found. ${hint}`;
}

/** "Did you mean" for unknown flags, from the names (and one-letter chars) a command knows. */
export function unknownFlagMessage(unknown: string[], known: { name: string; char?: string }[]): string {
  const names = known.map((f) => `--${f.name}`);
  const parts = unknown.map((raw) => {
    const flag = raw.split('=')[0]!;
    const [best] = flag.startsWith('--') ? closestMatches(flag, names, 1) : [];
    return best ? `${flag} (did you mean ${best}?)` : flag;
  });
  return `unknown flag${unknown.length > 1 ? 's' : ''} ${parts.join(', ')}`;
}
