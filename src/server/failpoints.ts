/**
 * Failpoints (quality.md A4 item 3): named code points where a fault test makes the server crash,
 * fail, stall or hang. They are inert unless `EBCLI_FAILPOINT=name:action[,name:action…]` is set;
 * the variable is read once, when the server starts (or at the first failpoint reached).
 *
 * Actions: `kill` (SIGKILL this process), `throw` (a {@link FailpointError}), `delay:<ms>`,
 * `hang` (never continue).
 */
import { setTimeout as delay } from 'node:timers/promises';

export const FAILPOINT_ENV = 'EBCLI_FAILPOINT';

export const FAILPOINTS = [
  /** A route that starts a workflow: its transaction committed, the reply not sent yet. */
  'after-commit-before-reply',
  /** The engine: a step's completion committed, the next step not started yet. */
  'after-step-commit',
  /** The agent hub: an agent's result arrived, neither stored nor acknowledged yet. */
  'agent-result-received',
] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

export type FailpointAction = { kind: 'kill' } | { kind: 'throw' } | { kind: 'hang' } | { kind: 'delay'; ms: number };

export class FailpointError extends Error {
  override readonly name = 'FailpointError';
  constructor(readonly point: FailpointName) {
    super(`failpoint ${point} fired`);
  }
}

/** Parses `name:action,…`; throws on an unknown name or action, so a typo never goes unnoticed. */
export function parseFailpoints(spec: string | undefined): Map<FailpointName, FailpointAction> {
  const out = new Map<FailpointName, FailpointAction>();
  for (const part of (spec ?? '').split(',')) {
    const item = part.trim();
    if (!item) continue;
    const [name, kind, arg, ...rest] = item.split(':');
    if (!(FAILPOINTS as readonly string[]).includes(name ?? '')) {
      throw new Error(`${FAILPOINT_ENV}: unknown failpoint '${name}' (known: ${FAILPOINTS.join(', ')})`);
    }
    const point = name as FailpointName;
    const ms = Number(arg);
    if (rest.length) throw new Error(`${FAILPOINT_ENV}: cannot read '${item}'`);
    if ((kind === 'kill' || kind === 'throw' || kind === 'hang') && arg === undefined) out.set(point, { kind });
    else if (kind === 'delay' && Number.isInteger(ms) && ms >= 0) out.set(point, { kind, ms });
    else throw new Error(`${FAILPOINT_ENV}: '${item}' needs kill, throw, hang or delay:<ms>`);
  }
  return out;
}

let active: Map<FailpointName, FailpointAction> | undefined;

/** Reads `EBCLI_FAILPOINT` (the server calls this once at start; tests may pass their own env). */
export function configureFailpoints(env: NodeJS.ProcessEnv = process.env): void {
  active = parseFailpoints(env[FAILPOINT_ENV]);
}

/** Reaches a failpoint: does nothing unless it is configured. */
export function failpoint(name: FailpointName): Promise<void> | undefined {
  if (!active) configureFailpoints();
  const action = active?.get(name);
  if (!action) return undefined;
  switch (action.kind) {
    case 'kill':
      process.kill(process.pid, 'SIGKILL');
      return new Promise<void>(() => undefined);
    case 'throw':
      return Promise.reject(new FailpointError(name));
    case 'hang':
      return new Promise<void>(() => undefined);
    case 'delay':
      return delay(action.ms);
  }
}
