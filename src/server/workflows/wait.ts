import type { EventEmitter } from 'node:events';
import type { ErrorCode } from '../../shared/errors.js';

/** Thrown by waits when their signal aborts (the worker stops or lost the lease). */
export class AbortedError extends Error {
  override readonly name = 'AbortedError';
  constructor() {
    super('aborted');
  }
}

/** A wait ran out of time; `code` says why in machine-readable form (shared/errors.ts). */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    message: string,
    readonly code?: ErrorCode,
  ) {
    super(message);
  }
}

export interface WaitOptions {
  signal: AbortSignal;
  /** Emitter and event names that mean "check again now". */
  wake?: { emitter: EventEmitter; events: string[] };
  pollMs: number;
  timeoutMs?: number;
  timeoutMessage?: string;
  /** The error code of the timeout (e.g. `agent_unreachable` for an agent that never came). */
  timeoutCode?: ErrorCode;
}

/** Sleeps `ms`, or less when woken or aborted. */
export function sleep(ms: number, opts: Pick<WaitOptions, 'signal' | 'wake'>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', done);
      for (const e of opts.wake?.events ?? []) opts.wake?.emitter.off(e, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    opts.signal.addEventListener('abort', done);
    for (const e of opts.wake?.events ?? []) opts.wake?.emitter.on(e, done);
  });
}

/**
 * Calls `check` until it returns a value, re-checking on wake events and every `pollMs`. Wake
 * listeners are attached before the first check, so an event between a check and the sleep
 * that follows it is not missed.
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, opts: WaitOptions): Promise<T> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  const onWake = () => {
    woken = true;
    wakeUp?.();
  };
  for (const e of opts.wake?.events ?? []) opts.wake?.emitter.on(e, onWake);
  opts.signal.addEventListener('abort', onWake);
  try {
    for (;;) {
      if (opts.signal.aborted) throw new AbortedError();
      woken = false;
      const value = await check();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError(opts.timeoutMessage ?? 'timed out', opts.timeoutCode);
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), Math.min(opts.pollMs, left));
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  } finally {
    for (const e of opts.wake?.events ?? []) opts.wake?.emitter.off(e, onWake);
    opts.signal.removeEventListener('abort', onWake);
  }
}
