import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import { askText, readStdin } from './input.js';

/**
 * A new user's initial password, never from argv: `--password-stdin`, `--password-file F`, or a
 * hidden prompt on a TTY; without any of them, a usage error naming the flags.
 */
export async function readNewPassword(flags: {
  'password-stdin'?: boolean;
  'password-file'?: string;
}): Promise<string> {
  if (flags['password-stdin']) return readStdin('--password-stdin');
  const file = flags['password-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--password-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const password = text.replace(/\r?\n$/, '');
    if (!password) throw new UsageError(`--password-file: ${file} is empty`);
    return password;
  }
  return askText('Initial password:', '--password-stdin or --password-file', { secret: true });
}
