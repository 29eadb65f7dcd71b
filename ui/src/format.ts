// Formatting for dates, durations and counts, in the viewer's locale and time zone.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const shortTime = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** "3 Dec 2026, 07:31:02" or "—". */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

/** A compact date-time for table cells. */
export function formatShort(iso: string | null | undefined): string {
  return iso ? shortTime.format(new Date(iso)) : "—";
}

/** Seconds as "850 ms", "12 s", "4 min 5 s", "2 h 3 min": whole units, never "12.347 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "in 3 min" / "5 s ago" relative to now. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const diff = (new Date(iso).getTime() - now) / 1000;
  const text = formatDuration(Math.abs(diff));
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** The seconds a task ran (or has been running). */
export function taskDuration(task: {
  started_at: string | null;
  ended_at: string | null;
  time_taken: number | null;
}): number | null {
  if (task.time_taken !== null) return task.time_taken;
  if (task.started_at && !task.ended_at) return (Date.now() - new Date(task.started_at).getTime()) / 1000;
  return null;
}

/** An ISO string as the value of a datetime-local input (viewer's zone), and back. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return ""; // a hand-edited URL's bad date shows as no date
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (viewer's zone) as ISO, or undefined when empty/invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** 12345 → "12,345". */
export const formatCount = (n: number | null | undefined) => (n === null || n === undefined ? "—" : n.toLocaleString());

/**
 * An instant the server gives in a schedule's own zone ("2026-12-07T09:30:00+01:00") as
 * "2026-12-07 09:30:00 +01:00": the wall-clock time where the schedule runs, with its offset.
 */
export function formatZoned(iso: string | null | undefined): string {
  if (!iso) return "—";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  return m ? `${m[1]} ${m[2]} ${m[3] === "Z" ? "UTC" : m[3]}` : iso;
}

/** The viewer's IANA time zone (the browser's), e.g. "Europe/Paris". */
export const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An instant in the viewer's own zone, named: "3 Dec 2026, 08:30:00 (Europe/Paris)". */
export function formatInViewerZone(iso: string | null | undefined): string {
  return iso ? `${formatDateTime(iso)} (${viewerZone()})` : "—";
}
