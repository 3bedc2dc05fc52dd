import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { CLIError } from '@oclif/core/errors';
import { Exit, handle } from '@oclif/core/handle';
import { Help, normalizeArgv } from '@oclif/core/help';
import { commandNotFoundMessage } from './not-found.js';
import { oclifRequired } from './oclif-user-files.js';

/**
 * Help and "command not found" without loading oclif's Config (start-up budget T3). The text comes
 * from oclif's own Help class (bundled into dist/cli/help-fast.cjs with what it imports), fed with
 * the commands and topics that scripts/help-data.js saved from a real `Config.load` at build time,
 * so it is the same text `execute` would print. Anything this module is not sure about returns
 * `undefined` and goes to oclif: user plugins or themes, debug mode, a help class, Windows.
 */

type Command = {
  id: string;
  pluginName?: string;
  hasDynamicHelp?: boolean;
  aliases?: string[];
  hiddenAliases?: string[];
  hidden?: boolean;
};
type Topic = { name: string; description?: string; hidden?: boolean };

interface HelpData {
  pjson: { name: string; version: string; oclif: { helpClass?: unknown; helpOptions?: object; state?: string } };
  bin: string;
  dirname: string;
  topicSeparator: string;
  plugins: { name: string; state?: string }[];
  commands: Command[];
  topics: Topic[];
  words: string[];
}

/** The argv (after the node and script paths) this module may answer; cheap, read nothing. */
export function mayAnswer(argv: string[], words: () => string[]): boolean {
  if (argv.length === 0 || argv[0] === 'help') return true;
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg === '--help') return true;
  }
  const first = argv[0]!;
  return !first.startsWith('-') && !words().includes(first);
}

/** The slice of oclif's Config that Help reads, built from the saved data. */
function configOf(data: HelpData, root: string, userAgent: string) {
  const commands = new Map(data.commands.map((c) => [c.id, c]));
  const topics = new Map(data.topics.map((t) => [t.name, t]));
  return {
    root,
    bin: data.bin,
    pjson: data.pjson,
    topicSeparator: data.topicSeparator,
    userAgent,
    platform: process.platform,
    shell: 'unknown',
    theme: undefined,
    isSingleCommandCLI: false,
    flexibleTaxonomy: false,
    plugins: new Map(data.plugins.map((p) => [p.name, { name: p.name, pjson: { oclif: { state: p.state } } }])),
    commands: data.commands,
    commandIDs: data.commands.map((c) => c.id),
    topics: data.topics,
    findCommand: (id: string) => commands.get(id),
    findTopic: (name: string) => topics.get(name),
    findMatches: () => [],
    runHook: async () => ({ successes: [], failures: [] }),
  };
}

/** Help that collects its output, so nothing is printed when oclif has to take over. */
class BufferedHelp extends Help {
  readonly out: string[] = [];
  protected override log(...args: string[]): void {
    this.out.push(`${format(...args)}\n`); // what ux.stdout(args) prints
  }
}

/**
 * Prints help, or the "command not found" error, the way oclif's `execute` would; resolves with
 * the exit code, or `undefined` when oclif must handle `argv`.
 */
export async function runHelpFastPath(argv: string[], root: string, userAgent: string): Promise<number | undefined> {
  const env = process.env;
  const data = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'help-data.json'), 'utf8')) as HelpData;
  if (data.pjson.oclif.helpClass || oclifRequired(data.bin, data.dirname, env)) return undefined;
  if (!mayAnswer(argv, () => data.words)) return undefined;

  const config = configOf(data, root, userAgent) as unknown as ConstructorParameters<typeof Help>[0];
  const [id = '', ...rest] = normalizeArgv(config, [...argv]);
  const command = config.findCommand(id) as Command | undefined;
  let help: BufferedHelp;
  let subject: string[];
  const end = argv.indexOf('--');
  const wantsHelp = argv.length === 0 || (end < 0 ? argv : argv.slice(0, end)).includes('--help');
  if (wantsHelp) {
    // main.run: a help flag anywhere before `--` shows help for argv.
    help = new BufferedHelp(config, data.pjson.oclif.helpOptions);
    subject = argv;
  } else if (command?.pluginName === '@oclif/plugin-help' && rest.every((a) => !a.startsWith('-'))) {
    // plugin-help's `help [COMMAND…]` without flags.
    help = new BufferedHelp(config, { all: false });
    subject = rest;
  } else if (!command && config.findTopic(id)) {
    help = new BufferedHelp(config, data.pjson.oclif.helpOptions);
    subject = [id];
  } else if (!command && /^[\w-]+$/.test(id)) {
    // Config.runCommand with ebcli's command_not_found hook (src/hooks/command-not-found.ts).
    // oclif's handler would exit at once; bin/run.js exits once stderr is delivered.
    const exit = Exit.exit;
    Exit.exit = (() => undefined) as unknown as typeof exit;
    try {
      await handle(
        new CLIError(commandNotFoundMessage(id, data.commands, data.topics, data.topicSeparator, data.bin), {
          exit: 2,
        }),
      );
    } finally {
      Exit.exit = exit;
    }
    return 2;
  } else return undefined;

  const shown = [...subject].filter((a) => !a.startsWith('-'));
  const target = config.findCommand(normalizeArgv(config, shown)[0] ?? '') as Command | undefined;
  if (target?.hasDynamicHelp) return undefined;
  try {
    await help.showHelp(subject);
  } catch {
    return undefined; // e.g. "Command x not found.": oclif prints it its own way
  }
  process.stdout.write(help.out.join(''));
  return 0;
}
