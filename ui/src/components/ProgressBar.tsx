// A progress bar with count / total and a description; indeterminate when there is no total yet.

export interface ProgressProps {
  count?: number | null;
  total?: number | null;
  description?: string | null;
  /** Compact: a thin bar without text, for table rows. */
  compact?: boolean;
  label?: string;
  /** Nothing is running (waiting, paused or ended): without a known total the bar stays still. */
  idle?: boolean;
}

/** An accessible progress bar (role=progressbar with aria values). */
export function ProgressBar({
  count,
  total,
  description,
  compact = false,
  label = "Progress",
  idle = false,
}: ProgressProps) {
  const known = typeof total === "number" && total > 0 && typeof count === "number";
  const pct = known ? Math.min(100, Math.max(0, (count / total) * 100)) : 0;
  const moving = !known && !idle;
  return (
    <div class={compact ? "progress progress-compact" : "progress"}>
      <div
        class={moving ? "progress-track progress-indeterminate" : "progress-track"}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={known ? total : undefined}
        aria-valuenow={known ? count : undefined}
      >
        <div class="progress-fill" style={{ width: `${moving ? 100 : pct}%` }} />
      </div>
      {compact ? null : (
        <div class="progress-text">
          <span class="progress-count">{known ? `${count} / ${total} (${Math.floor(pct)}%)` : (count ?? "")}</span>
          {description ? <span class="progress-description">{description}</span> : null}
        </div>
      )}
    </div>
  );
}
