// Live updates over the WebSocket (the shared client's watches, with reconnect and resync), and what
// a page does without them: every watch reports whether its socket is connected, and a page polls
// while it is not. A watch refused with 401 signs the console out.
import { useEffect, useRef, useState } from "preact/hooks";
import { client } from "./api";
import type { TaskEvent } from "./types";
import type { Watch, WatchOptions } from "../../clients/typescript/src/index";

/**
 * A page's realtime connection: "live" only while a socket is connected (the Live dot), "offline"
 * while it is refused, dropped or cannot open (the page says so and polls), "connecting" before the
 * first answer, "idle" when there is nothing to watch (an ended task).
 */
export type LiveState = "connecting" | "live" | "offline" | "idle";

/** How often a page re-reads what it shows while realtime is unavailable. */
export const POLL_MS = 5_000;

/**
 * Runs `start` (a watch) while `active` and reports its connection. The watch is restarted when
 * `key` changes; `done` ending it (the watched thing ended) makes the state idle.
 */
function useWatch<T>(
  active: boolean,
  key: string,
  start: (options: WatchOptions) => Watch<T>,
  onDone?: (value: T) => void,
): LiveState {
  const [state, setState] = useState<LiveState>(active ? "connecting" : "idle");
  const handlers = useRef({ start, onDone });
  handlers.current = { start, onDone };
  useEffect(() => {
    if (!active) {
      setState("idle");
      return;
    }
    let current = true;
    setState("connecting");
    const watch = handlers.current.start({
      onConnection: (connection) => current && setState(connection === "open" ? "live" : "offline"),
    });
    watch.done
      .then((value) => {
        if (!current) return;
        setState("idle");
        handlers.current.onDone?.(value);
      })
      .catch(() => {
        // Refused for good (a 401 has already signed the console out): nothing live to show.
        if (current) setState("offline");
      });
    return () => {
      current = false;
      watch.stop();
    };
  }, [active, key]);
  return state;
}

/**
 * Calls `onEvent` for every event of the tasks the signed-in user sees while mounted: their own, or
 * with `everyone` (System Managers) every user's — the server's every-task scope, so an admin's
 * list is as live as anyone's without polling. `onResync` runs after each (re)connect's snapshot.
 * Nothing is watched while `active` is false.
 */
export function useTaskListEvents(
  everyone: boolean,
  onEvent: (event: TaskEvent) => void,
  onResync?: () => void,
  active = true,
): LiveState {
  const handlers = useRef({ onEvent, onResync });
  handlers.current = { onEvent, onResync };
  return useWatch(active, String(everyone), (options) => {
    const watch = { ...options, onSnapshot: () => handlers.current.onResync?.() };
    const deliver = (event: TaskEvent) => handlers.current.onEvent(event);
    return everyone ? client.watchAllTasks(deliver, watch) : client.watchOwnTasks(deliver, watch);
  });
}

/** Watches one task until it ends (or `name` changes); `onEvent` gets each status/progress event. */
export function useTaskEvents(name: string, active: boolean, onEvent: (event: TaskEvent) => void): LiveState {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  return useWatch(active, name, (options) => client.watchTask(name, (event) => handler.current(event), options));
}

/** Watches a batch; `onProgress` gets the server's done/total on every event and after each resync. */
export function useBatchEvents(
  batchId: string,
  active: boolean,
  onProgress: (progress: { done: number; total: number }, event: TaskEvent | null) => void,
): LiveState {
  const handler = useRef(onProgress);
  handler.current = onProgress;
  return useWatch(
    active,
    batchId,
    (options) => client.watchBatch(batchId, (event, progress) => handler.current(progress, event), options),
    (progress) => handler.current(progress, null),
  );
}

/** Runs `poll` every POLL_MS (tab visible) while `state` is offline, and once as it turns offline. */
export function usePollWhileOffline(state: LiveState, poll: () => void): void {
  const saved = useRef(poll);
  saved.current = poll;
  useEffect(() => {
    if (state !== "offline") return;
    saved.current();
    const id = setInterval(() => {
      if (document.visibilityState === "visible") saved.current();
    }, POLL_MS);
    return () => clearInterval(id);
  }, [state]);
}
