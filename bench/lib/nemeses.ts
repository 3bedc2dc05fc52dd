/**
 * The fault campaigns' nemeses (quality.md A4 item 4), each run until its signal aborts and leaving
 * the system running again: SIGKILL of one replica at a time (started again on its port after
 * `downMs`, as a supervisor would), PostgreSQL stopped `-m immediate` and started again, and
 * `pg_terminate_backend` of every connection the replicas hold.
 */
import type { Nemesis } from './campaign.js';

/** Resolves after `ms`, or at once when `signal` aborts; true when the time ran out. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Every `everyMs`, SIGKILL the next replica in turn; start it again after `downMs`. */
export function killReplicas(everyMs: number, downMs: number): Nemesis {
  return async (cluster, signal) => {
    let kills = 0;
    for (let i = 0; await pause(everyMs, signal); i = (i + 1) % cluster.replicas.length) {
      await cluster.kill(i);
      kills++;
      await new Promise((r) => setTimeout(r, downMs));
      await cluster.restart(i);
    }
    return { kills };
  };
}

/** At each of `atMs` (from the start), stop PostgreSQL with `-m immediate` and start it after `downMs`. */
export function restartPostgres(atMs: number[], downMs: number): Nemesis {
  return async (cluster, signal) => {
    let restarts = 0;
    let now = 0;
    for (const at of atMs) {
      if (!(await pause(at - now, signal))) break;
      now = at;
      await cluster.restartPostgres(downMs);
      restarts++;
    }
    return { postgresRestarts: restarts };
  };
}

/** Every `everyMs`, `pg_terminate_backend` every connection of every replica. */
export function terminateBackends(everyMs: number): Nemesis {
  return async (cluster, signal) => {
    let rounds = 0;
    let backends = 0;
    while (await pause(everyMs, signal)) {
      backends += await cluster.terminateBackends();
      rounds++;
    }
    return { terminateRounds: rounds, backendsTerminated: backends };
  };
}
