import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError } from './api.js';
import { feed, type LiveState } from './live.js';
import type { CortenEvent } from './types.js';

/** Re-renders on every batch of the live feed; returns the batch count (a version). */
export function useFeedVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => feed.subscribe(() => setVersion((v) => v + 1)), []);
  return version;
}

export function useLiveState(): LiveState {
  const [state, setState] = useState(feed.state);
  useEffect(() => feed.onState(setState), []);
  return state;
}

/** Coalescing window for reloads a burst of events asks for. */
const RELOAD_MS = 150;

export interface LiveOptions {
  /**
   * Wait after the first event that asks for a reload, collecting the others: longer for
   * reads that cost the coordinator more (counting every task). Events after a reload began
   * ask for another, so the last change always shows.
   */
  coalesceMs?: number;
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | Error | null;
  reload: () => void;
}

/**
 * Loads `load()` on mount and whenever `deps` change, and again when the live feed brings an
 * event `affects` says matters (coalesced, so a burst is one reload).
 */
export function useLive<T>(
  load: () => Promise<T>,
  affects: (event: CortenEvent) => boolean,
  deps: unknown[] = [],
  options: LiveOptions = {},
): Loaded<T> {
  const coalesceMs = options.coalesceMs ?? RELOAD_MS;
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const affectsRef = useRef(affects);
  affectsRef.current = affects;
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let current = true;
    loadRef.current().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
      },
      (failure: unknown) => {
        if (current) setError(failure instanceof Error ? failure : new Error(String(failure)));
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = feed.subscribe((events) => {
      if (timer || !events.some((e) => affectsRef.current(e))) return;
      timer = setTimeout(() => {
        timer = null;
        setTick((t) => t + 1);
      }, coalesceMs);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, []);

  return { data, error, reload: () => setTick((t) => t + 1) };
}

/** Re-renders every `ms`, for ages ("3 s ago") and sliding chart windows. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
