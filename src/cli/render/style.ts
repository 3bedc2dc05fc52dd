import { createRequire } from 'node:module';

/** Colour per NO_COLOR / FORCE_COLOR, else only on a TTY that is not `TERM=dumb`. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const plain: Style = { bold: String, dim: String, red: String, green: String, yellow: String, cyan: String };

/** A chalk instance when colour is on; identity functions (and no chalk load) when off. */
export async function style(enabled: boolean): Promise<Style> {
  if (!enabled) return plain;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: 1 });
}

/** Colours a display state: running green, failed red, processing yellow. */
export function stateColor(s: Style, state: string): string {
  if (state === 'running' || state === 'done' || state === 'ready') return s.green(state);
  if (state === 'failed' || state === 'unavailable') return s.red(state);
  if (state === 'processing' || state === 'initializing') return s.yellow(state);
  return s.dim(state);
}

/** cli-table3 is CommonJS; loading it with require avoids an ESM interop wrapper. */
export function loadTable(): typeof import('cli-table3') {
  return createRequire(import.meta.url)('cli-table3');
}
