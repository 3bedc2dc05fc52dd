import type { EventEmitter } from 'node:events';

/** Bus event emitted after a sign-out commits (payload: the session's hash). */
export const SESSION_ENDED = 'console.session.ended';

/** The console session a request was authenticated with (set by session/auth.ts). */
export interface SessionRef {
  hash: string;
  expires: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: SessionRef;
  }
}

/** Tells the live sockets that a session is gone; call only after the delete has committed. */
export function announceSessionEnded(bus: EventEmitter, hash: string): void {
  bus.emit(SESSION_ENDED, hash);
}

/** Longest single timer (setTimeout overflows past 2^31-1 ms); a later expiry re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `end` once when the session signs out or expires, so a console websocket never outlives
 * the sign-in that opened it. Returns the unwatch.
 */
export function watchSession(bus: EventEmitter, session: SessionRef, end: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    unwatch();
    end();
  };
  const onEnded = (hash: string) => {
    if (hash === session.hash) finish();
  };
  const arm = () => {
    const left = Date.parse(session.expires) - Date.now();
    if (left <= 0) return finish();
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  function unwatch() {
    done = true;
    clearTimeout(timer);
    bus.off(SESSION_ENDED, onEnded);
  }
  bus.on(SESSION_ENDED, onEnded);
  arm();
  return unwatch;
}
