// Data hooks: load an API resource with loading/error states, and run something on an interval.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api";

export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** GETs `path` (null = nothing yet) and re-GETs when it changes. Keeps old data while reloading. */
export function useResource<T>(path: string | null): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(path !== null);
  const latest = useRef(path);
  latest.current = path;
  const reload = useCallback(async () => {
    if (path === null) return;
    setLoading(true);
    try {
      const value = await api<T>("GET", path);
      if (latest.current === path) {
        setData(value);
        setError(null);
      }
    } catch (e) {
      if (latest.current === path) setError(e);
    } finally {
      if (latest.current === path) setLoading(false);
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}

/** Calls `fn` every `ms` while mounted (and the tab is visible). */
export function useInterval(fn: () => void, ms: number): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === "visible") saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

/**
 * A function that runs `fn` once, `ms` after the first of a burst of calls (live events come in
 * bursts; one re-read covers them all). Cancelled on unmount.
 */
export function useCoalesced(fn: () => void, ms: number): () => void {
  const saved = useRef(fn);
  saved.current = fn;
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(pending.current), []);
  return useCallback(() => {
    if (pending.current !== undefined) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      saved.current();
    }, ms);
  }, [ms]);
}
