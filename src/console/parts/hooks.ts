import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { EventStream, type StreamEvent } from '../stream.js';

/**
 * Subscribes a page to the event tail while it is shown. `onEvents` may change between renders;
 * the latest one is called. Returns whether the socket is connected.
 */
export function useStream(
  query: Record<string, string>,
  onEvents: (events: StreamEvent[]) => void,
  onResync?: () => void,
): boolean {
  const latest = useRef({ onEvents, onResync });
  latest.current = { onEvents, onResync };
  const [connected, setConnected] = useState(false);
  const key = JSON.stringify(query);
  useEffect(() => {
    const stream = new EventStream({
      query,
      onEvents: (e) => latest.current.onEvents(e),
      onResync: () => latest.current.onResync?.(),
      onStatus: setConnected,
    });
    return () => stream.close();
  }, [key]);
  return connected;
}

/** Loads a REST resource; `reload` fetches it again. */
export function useResource<T>(path: string | undefined): {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
  set: (update: (old: T | undefined) => T | undefined) => void;
} {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    api<T>('GET', path).then(
      (d) => live && (setData(d), setError(undefined)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [path, round]);
  return { data, error, reload: () => setRound((r) => r + 1), set: (u) => setData(u) };
}

/**
 * Calls `tick` every `ms` while the page is visible (not in a background tab). For what the server
 * announces with no event: a check result that changes no state, new metric samples.
 */
export function usePoll(tick: () => void, ms: number): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, ms);
    return () => window.clearInterval(timer);
  }, [ms]);
}

/**
 * A REST resource read again every `ms` while the page is visible (see `usePoll`); a read still
 * under way is not started twice, so a slow server is never asked faster than it answers.
 */
export function usePolled<T>(
  path: string | undefined,
  ms: number,
): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const busy = useRef(false);
  const current = useRef(path);
  current.current = path;
  const load = () => {
    const asked = current.current;
    if (!asked || busy.current) return;
    busy.current = true;
    api<T>('GET', asked)
      .then(
        (d) => asked === current.current && (setData(d), setError(undefined)),
        (e: Error) => asked === current.current && setError(e.message),
      )
      .finally(() => (busy.current = false));
  };
  useEffect(() => {
    busy.current = false;
    setData(undefined);
    load();
  }, [path]);
  usePoll(load, ms);
  return { data, error, reload: load };
}

/**
 * `fn`, called at most once per `ms`: the first call runs at once, calls within the next `ms`
 * fold into one more at its end. A burst of events costs a page two reads, not one per event.
 */
export function useThrottled(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const state = useRef<{ until: number; pending: number | undefined }>({ until: 0, pending: undefined });
  useEffect(() => () => window.clearTimeout(state.current.pending), []);
  return useRef(() => {
    const s = state.current;
    const now = Date.now();
    if (s.pending !== undefined) return;
    if (now >= s.until) {
      s.until = now + ms;
      latest.current();
      return;
    }
    s.pending = window.setTimeout(() => {
      s.pending = undefined;
      s.until = Date.now() + ms;
      latest.current();
    }, s.until - now);
  }).current;
}
