/**
 * Which command an argv names, without loading oclif: bin/run.js uses it to pick the command's
 * bundle (scripts/bundle-commands.js). The index is written at build time by scripts/help-data.js
 * from a real `Config.load`, and {@link commandOf} follows oclif's own rule for a space topic
 * separator (`standardizeIDFromArgv` in @oclif/core/lib/help/util.js), so both paths run the
 * same command for the same argv.
 */

export interface IndexedCommand {
  /** The command's id: for an alias, the command the alias stands for. */
  command: string;
  /** Whether it takes positional arguments (then no later word can extend its id). */
  args: boolean;
  /** The plugin that serves it (`ebcli` for the CLI's own commands). */
  plugin: string;
}

export interface CommandIndex {
  /** The first word of every command, alias and topic: anything else is an unknown command. */
  words: string[];
  /** Every command id and alias, `:`-separated as oclif keeps them. */
  ids: Record<string, IndexedCommand>;
}

export interface NamedCommand extends IndexedCommand {
  /** argv after the words of the id. */
  argv: string[];
}

/** The command `argv` runs, as oclif finds it, or `undefined` when it names none (help, topics, typos). */
export function commandOf(argv: string[], index: CommandIndex): NamedCommand | undefined {
  if (argv.length === 0) return undefined;
  const known = (id: string) => Object.hasOwn(index.ids, id);
  const usable = new Set(
    Object.keys(index.ids).flatMap((id) => id.split(':').map((_, i, parts) => parts.slice(0, i + 1).join(':'))),
  );
  const words: string[] = [];
  if (argv.length === 1) words.push(argv[0]!);
  else {
    for (const arg of argv) {
      const current = words.join(':');
      if (usable.has(words.length ? `${current}:${arg}` : arg)) words.push(arg);
      else if (arg.includes('=') || arg.startsWith('-') || (known(current) && index.ids[current]!.args)) break;
      else words.push(arg);
    }
  }
  const id = words.join(':');
  if (!known(id)) return undefined;
  return { ...index.ids[id]!, argv: argv.slice(words.length) };
}
