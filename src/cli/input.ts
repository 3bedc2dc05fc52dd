import { UsageError } from './errors.js';

/** Whether prompts are allowed: stdin and stderr are TTYs and CI is unset. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY && !process.env.CI);
}

/** Reads all of stdin (for `--token-stdin`, `--password-stdin`), trimmed of the final newline. */
export async function readStdin(flag: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!text) throw new UsageError(`${flag}: nothing was read from stdin`);
  return text;
}

const context = () => ({ input: process.stdin, output: process.stderr, clearPromptOnDone: false });

/** Asks for a value on a TTY; without one, a usage error naming the flag to pass. */
export async function askText(message: string, flag: string, opts: { secret?: boolean } = {}): Promise<string> {
  if (!canPrompt()) throw new UsageError(`missing value: pass ${flag}`);
  const prompts = await import('@inquirer/prompts');
  const answer = opts.secret
    ? await prompts.password({ message, mask: '*' }, context())
    : await prompts.input({ message }, context());
  if (!answer.trim()) throw new UsageError(`missing value: pass ${flag}`);
  return answer.trim();
}

/**
 * Confirms a destructive operation: asks on a TTY, passes with `--yes`, and without a TTY
 * refuses with a usage error asking for `--yes`.
 */
export async function confirmOrYes(message: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!canPrompt()) throw new UsageError('refusing a destructive operation without a TTY: pass --yes to confirm');
  const prompts = await import('@inquirer/prompts');
  return prompts.confirm({ message, default: false }, context());
}

/** Picks one of several choices on a TTY (callers check {@link canPrompt} first). */
export async function askChoice(message: string, choices: { name: string; value: string }[]): Promise<string> {
  const prompts = await import('@inquirer/prompts');
  return prompts.select({ message, choices }, context());
}
