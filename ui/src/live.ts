// Live updates over the WebSocket (the shared client's watches, with reconnect and resync); a watch
// that is refused with 401 signs the console out.
import { useEffect, useRef } from "preact/hooks";
import { client, signalSignedOut } from "./api";
import type { TaskEvent } from "./types";

/**
 * Calls `onEvent` for every event of the tasks the signed-in user sees while mounted: their own, or
 * with `everyone` (System Managers) every user's — the server's every-task scope, so an admin's
 * list is as live as anyone's without polling. `onResync` runs after each (re)connect's snapshot.
 */
export function useTaskListEvents(everyone: boolean, onEvent: (event: TaskEvent) => void, onResync?: () => void): void {
  const handlers = useRef({ onEvent, onResync });
  handlers.current = { onEvent, onResync };
  useEffect(() => {
    const options = { onSnapshot: () => handlers.current.onResync?.() };
    const deliver = (event: TaskEvent) => handlers.current.onEvent(event);
    const watch = everyone ? client.watchAllTasks(deliver, options) : client.watchOwnTasks(deliver, options);
    watch.done.catch((error: unknown) => signalSignedOut(error));
    return () => watch.stop();
  }, [everyone]);
}

/** Watches one task until it ends (or `name` changes); `onEvent` gets each status/progress event. */
export function useTaskEvents(name: string, active: boolean, onEvent: (event: TaskEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!active) return;
    const watch = client.watchTask(name, (event) => handler.current(event));
    watch.done.catch((error: unknown) => signalSignedOut(error));
    return () => watch.stop();
  }, [name, active]);
}

/** Watches a batch; `onProgress` gets the server's done/total on every event and after each resync. */
export function useBatchEvents(
  batchId: string,
  active: boolean,
  onProgress: (progress: { done: number; total: number }, event: TaskEvent | null) => void,
): void {
  const handler = useRef(onProgress);
  handler.current = onProgress;
  useEffect(() => {
    if (!active) return;
    const watch = client.watchBatch(batchId, (event, progress) => handler.current(progress, event));
    watch.done.then((progress) => handler.current(progress, null)).catch((error: unknown) => signalSignedOut(error));
    return () => watch.stop();
  }, [batchId, active]);
}
