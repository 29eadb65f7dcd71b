// A task (or report job) status as a coloured pill: Pending grey, Queued/Started blue, Finished green,
// Failed red, Canceled dark grey, Paused orange.

/** The pill; `retry` marks a Failed task that will be retried automatically. */
export function StatusPill({ status, retry = false }: { status: string; retry?: boolean }) {
  return (
    <span class={`pill pill-${status.toLowerCase()}`} data-status={status}>
      {status}
      {retry ? " · retry" : ""}
    </span>
  );
}
