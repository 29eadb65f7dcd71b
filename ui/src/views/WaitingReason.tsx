// "Why is it waiting": the server's reason for a task that has not started (concurrency limit full,
// dispatcher suspended, delayed, paused, retry at T, queued behind N), computed by the same rule the
// scheduler admits by. Hidden when the task is not waiting (or is gone: 404).
import { useEffect, useState } from "preact/hooks";
import { SwitchyardError, api } from "../api";
import { formatDateTime, formatRelative } from "../format";
import type { Waiting } from "../types";

const TITLES: Record<string, string> = {
  ready: "Ready to start",
  dispatcher_suspended: "Dispatcher suspended",
  concurrency_limit: "Concurrency limit full",
  delayed: "Delayed",
  paused: "Paused",
  retry_scheduled: "Retry scheduled",
  queued_behind: "Queued behind other tasks",
};

/** Loads the reason whenever `version` changes (the task's status or seq). */
export function WaitingReason({ name, version }: { name: string; version: string }) {
  const [waiting, setWaiting] = useState<Waiting | null>(null);
  useEffect(() => {
    let live = true;
    api<Waiting>("GET", `/api/v1/tasks/${encodeURIComponent(name)}/waiting`)
      .then((w) => live && setWaiting(w))
      .catch((e: unknown) => {
        // 404: the task is gone (or no longer visible) — show nothing.
        if (live && e instanceof SwitchyardError) setWaiting(null);
      });
    return () => {
      live = false;
    };
  }, [name, version]);
  if (!waiting || waiting.reason === "not_waiting") return null;
  return (
    <div class={`waiting waiting-${waiting.reason}`} role="status" data-testid="waiting">
      <strong>{TITLES[waiting.reason] ?? waiting.reason}</strong>
      <span>{waiting.message}</span>
      {waiting.until ? (
        <span>
          until {formatDateTime(waiting.until)} ({formatRelative(waiting.until)})
        </span>
      ) : null}
      {waiting.ahead !== null && waiting.ahead > 0 ? <span>{waiting.ahead} ahead</span> : null}
      {waiting.limit !== null ? (
        <span>
          {waiting.running ?? "?"} / {waiting.limit} running
        </span>
      ) : null}
    </div>
  );
}
