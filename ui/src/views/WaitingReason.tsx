// "Why is it waiting": the server's reason for a task that has not started (concurrency limit full,
// dispatcher suspended, delayed, paused, retry at T, queued behind N), computed by the same rule the
// scheduler admits by. Asked again whenever something that could change the answer happens — the
// page passes a `trigger` that moves with every event of the task's method and the dispatcher switch —
// and its countdown ticks. Hidden when the task is not waiting (or is gone: 404).
import { useEffect, useRef, useState } from "preact/hooks";
import { SwitchyardError, api } from "../api";
import { formatDateTime, formatRelative } from "../format";
import { useInterval } from "../hooks";
import type { Waiting } from "../types";

const TITLES: Record<string, string> = {
  ready: "Ready to start",
  dispatcher_suspended: "Dispatcher suspended",
  concurrency_limit: "Concurrency limit full",
  delayed: "Delayed",
  paused: "Paused",
  retry_scheduled: "Retry scheduled",
  queued_behind: "Queued behind other tasks",
  throttled: "Throttled",
  key_limit: "Per-key limit full",
  singleton: "Singleton run live",
  fair_share: "Fair share",
  debounced: "Debounced",
};

/**
 * Loads the reason for `name` whenever `trigger` changes, again when its `until` passes, and — when
 * `recheckMs` is set (a viewer who cannot see every event of the method) — that often meanwhile.
 */
export function WaitingReason({
  name,
  trigger,
  recheckMs,
}: {
  name: string;
  trigger: string;
  recheckMs: number | null;
}) {
  const [waiting, setWaiting] = useState<Waiting | null>(null);
  const [now, setNow] = useState(Date.now());
  const [reads, setReads] = useState(0);
  const asked = useRef(0);
  useEffect(() => {
    const ask = ++asked.current;
    api<Waiting>("GET", `/api/v1/tasks/${encodeURIComponent(name)}/waiting`)
      .then((w) => ask === asked.current && setWaiting(w))
      .catch((e: unknown) => {
        // 404: the task is gone (or no longer visible) — show nothing.
        if (ask === asked.current && e instanceof SwitchyardError) setWaiting(null);
      });
  }, [name, trigger, reads]);

  const showing = waiting !== null && waiting.reason !== "not_waiting";
  const until = waiting?.until ? Date.parse(waiting.until) : null;
  // The countdown ticks each second; once its moment has come, the answer has changed: ask again.
  useInterval(() => {
    if (until === null) return;
    const t = Date.now();
    setNow(t);
    if (t >= until) setReads((n) => n + 1);
  }, 1000);
  useInterval(() => {
    if (showing && recheckMs !== null) setReads((n) => n + 1);
  }, recheckMs ?? 60_000);

  if (!waiting || !showing) return null;
  return (
    <div class={`waiting waiting-${waiting.reason}`} role="status" data-testid="waiting">
      <strong>{TITLES[waiting.reason] ?? waiting.reason}</strong>
      <span>{waiting.message}</span>
      {waiting.until ? (
        <span data-testid="waiting-until">
          until {formatDateTime(waiting.until)} (
          {until !== null && until <= now ? "now" : formatRelative(waiting.until, now)})
        </span>
      ) : null}
      {waiting.ahead !== null && waiting.ahead > 0 ? (
        <span data-testid="waiting-ahead">{waiting.ahead} ahead</span>
      ) : null}
      {waiting.limit !== null ? (
        <span>
          {waiting.running ?? "?"} / {waiting.limit} running
        </span>
      ) : null}
      {waiting.causes.length > 1 ? (
        <ul class="small" data-testid="waiting-causes">
          {waiting.causes.slice(1).map((c) => (
            <li key={c.message}>{c.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
