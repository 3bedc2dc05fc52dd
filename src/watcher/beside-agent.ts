import { Watcher, type WatcherOptions } from './watcher.js';

/** How long to wait before enrolling again when the server could not enroll the Watcher. */
const RETRY_MS = 30_000;

/**
 * Starts the Watcher next to a machine agent, in the agent's process: a failure to enroll (a
 * server without monitoring, a network error) is logged and retried, and never affects the agent.
 */
export function startBesideAgent(opts: WatcherOptions): { stop(): Promise<void> } {
  let watcher: Watcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = () => {
    const w = new Watcher(opts);
    w.start().then(
      () => {
        if (stopped) void w.stop();
        else watcher = w;
      },
      (err: Error) => {
        opts.log?.('warn', 'could not start; retrying', { message: err.message, retryMs: RETRY_MS });
        if (!stopped) {
          timer = setTimeout(attempt, RETRY_MS);
          timer.unref();
        }
      },
    );
  };
  attempt();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await watcher?.stop();
    },
  };
}
