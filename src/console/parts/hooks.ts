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
