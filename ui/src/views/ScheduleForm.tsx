// Create or edit a scheduled job made through the API: what it runs (a method you may enqueue, or a
// document action) with fixed arguments, its timing (a Frappe frequency, cron or every N seconds, in a
// time zone) and its policies. The server checks everything and names the field that is wrong; as the
// form changes it previews the schedule — its timing in words and next runs — before anything is saved.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ID_HTML_PATTERN, ID_TEXT } from "../../../src/shared/id-grammar";
import { api, client, errorText } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorBox, Loading } from "../components/States";
import { formatInViewerZone, formatZoned, fromLocalInput, toLocalInput } from "../format";
import { useDraftForm } from "../form";
import { useResource } from "../hooks";
import { href, navigate } from "../router";
import type { ViewProps } from "../routes";
import type { MethodInfo, Page, Schedule, SchedulePreview, ScheduleSpec } from "../types";

// The server's closed sets (src/shared/schedule-sets.ts); it refuses anything else with a 400.
const FREQUENCIES = [
  ["every", "every N seconds"],
  ["cron", "cron expression"],
  ["all", "every minute"],
  ["hourly", "hourly"],
  ["daily", "daily"],
  ["weekly", "weekly"],
  ["monthly", "monthly"],
  ["yearly", "yearly"],
  ["hourly_long", "hourly (long queue, jitter)"],
  ["daily_long", "daily (long queue, jitter)"],
  ["weekly_long", "weekly (long queue, jitter)"],
  ["monthly_long", "monthly (long queue, jitter)"],
  ["yearly_long", "yearly (long queue, jitter)"],
  ["annual", "annual (= yearly)"],
  ["annual_long", "annual (long queue, jitter)"],
] as const;
const MISSED = [
  ["once", "run once to catch up"],
  ["all", "run every missed slot"],
  ["skip", "skip them"],
] as const;
const OVERLAP = [
  ["skip", "skip the slot"],
  ["buffer_one", "keep one slot waiting"],
  ["allow", "run anyway"],
  ["cancel_other", "cancel the previous run"],
] as const;

interface Draft {
  name: string;
  description: string;
  kind: "method" | "document";
  method: string;
  documentType: string;
  documentName: string;
  documentAction: string;
  args: string;
  frequency: string;
  cron: string;
  everyS: string;
  timezone: string;
  missed: string;
  overlap: string;
  queue: string;
  priority: string;
  timeout: string;
  maxRetries: string;
  retryDelay: string;
  retryBackoff: string;
  startAt: string;
  endAt: string;
  maxRuns: string;
}

const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function emptyDraft(): Draft {
  return {
    name: "",
    description: "",
    kind: "method",
    method: "",
    documentType: "",
    documentName: "",
    documentAction: "",
    args: "{}",
    frequency: "every",
    cron: "",
    everyS: "60",
    timezone: viewerZone(),
    missed: "once",
    overlap: "skip",
    queue: "",
    priority: "",
    timeout: "",
    maxRetries: "0",
    retryDelay: "0",
    retryBackoff: "fixed",
    startAt: "",
    endAt: "",
    maxRuns: "",
  };
}

function draftOf(s: Schedule): Draft {
  const num = (n: number | null) => (n === null ? "" : String(n));
  return {
    name: s.name,
    description: s.description ?? "",
    kind: s.document_type ? "document" : "method",
    method: s.document_type ? "" : s.method,
    documentType: s.document_type ?? "",
    documentName: s.document_name ?? "",
    documentAction: s.document_action ?? "",
    args: JSON.stringify(s.arguments ?? {}, null, 2),
    frequency: s.frequency,
    cron: s.cron ?? "",
    everyS: num(s.every_s),
    timezone: s.timezone,
    missed: s.missed,
    overlap: s.overlap,
    queue: s.queue ?? "",
    priority: num(s.priority),
    timeout: num(s.timeout),
    maxRetries: String(s.max_retries),
    retryDelay: String(s.retry_delay),
    retryBackoff: s.retry_backoff,
    startAt: toLocalInput(s.start_at),
    endAt: toLocalInput(s.end_at),
    maxRuns: num(s.max_runs),
  };
}

/** The request body for a draft; throws with a message when the arguments are not a JSON object. */
function specOf(d: Draft, withName: boolean): ScheduleSpec {
  let args: unknown;
  try {
    args = JSON.parse(d.args.trim() === "" ? "{}" : d.args);
  } catch {
    throw new Error("Arguments: not valid JSON");
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new Error('Arguments: a JSON object, e.g. {"invoice": "INV-1"}');
  }
  const int = (text: string) => (text.trim() === "" ? undefined : Number(text));
  const spec: Record<string, unknown> = {
    ...(withName ? { name: d.name.trim() } : {}),
    description: d.description.trim() || undefined,
    ...(d.kind === "method"
      ? { method: d.method }
      : { document_type: d.documentType, document_name: d.documentName, document_action: d.documentAction }),
    arguments: args,
    frequency: d.frequency,
    cron: d.frequency === "cron" ? d.cron.trim() : undefined,
    every_s: d.frequency === "every" ? int(d.everyS) : undefined,
    timezone: d.timezone.trim() || undefined,
    missed: d.missed,
    overlap: d.overlap,
    queue: d.queue || undefined,
    priority: int(d.priority),
    timeout: int(d.timeout),
    max_retries: int(d.maxRetries),
    retry_delay: int(d.retryDelay),
    retry_backoff: d.retryBackoff,
    start_at: fromLocalInput(d.startAt),
    end_at: fromLocalInput(d.endAt),
    max_runs: int(d.maxRuns),
  };
  for (const key of Object.keys(spec)) if (spec[key] === undefined) delete spec[key];
  return spec as ScheduleSpec;
}

/** How long the form waits after the last keystroke before it asks for a preview. */
const PREVIEW_DELAY_MS = 400;

type Preview = { kind: "ok"; preview: SchedulePreview } | { kind: "error"; message: string } | null;

/**
 * The server's preview of the draft (its timing in words and next 10 runs), asked again — after a
 * short pause — whenever the draft changes; an edit is previewed for the schedule's owner.
 */
function usePreview(draft: Draft, editing: string | undefined): Preview {
  const [preview, setPreview] = useState<Preview>(null);
  const text = JSON.stringify(draft);
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      let spec: ScheduleSpec;
      try {
        spec = specOf(draft, false);
      } catch (e) {
        setPreview({ kind: "error", message: errorText(e) });
        return;
      }
      client
        .previewSchedule(spec, editing)
        .then((p) => current && setPreview({ kind: "ok", preview: p }))
        .catch((e: unknown) => current && setPreview({ kind: "error", message: errorText(e) }));
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text, editing]);
  return preview;
}

/** The preview under the form: what saving would schedule, or why it could not be saved. */
function PreviewCard({ preview }: { preview: Preview }) {
  if (preview === null) return null;
  if (preview.kind === "error") {
    return (
      <section class="card preview preview-error" aria-label="Preview" data-testid="schedule-preview">
        <h2>Preview</h2>
        <p class="bad">Not yet: {preview.message}</p>
      </section>
    );
  }
  const { timing, timezone, next_runs: runs } = preview.preview;
  return (
    <section class="card preview" aria-label="Preview" data-testid="schedule-preview">
      <h2>Preview</h2>
      <p>
        <strong>{timing}</strong>
        {timing.includes(timezone) ? null : <span class="muted"> ({timezone})</span>}
      </p>
      {runs.length === 0 ? (
        <p class="bad">It would never run: no slot is left in its window.</p>
      ) : (
        <>
          <p class="muted small">The next {runs.length} runs, in the schedule's zone · in yours:</p>
          <ol class="next-runs" data-testid="preview-runs">
            {runs.map((t) => (
              <li key={t}>
                {formatZoned(t)} <span class="muted small">· {formatInViewerZone(t)}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** A datetime-local value that lies before now (an end that the schedule has already passed). */
function isPast(local: string): boolean {
  const iso = fromLocalInput(local);
  return iso !== undefined && Date.parse(iso) <= Date.now();
}

/** The new-schedule page (no `name` param) and the edit page of an API schedule. */
export function ScheduleForm({ params }: ViewProps) {
  const editing = params.name;
  const path = editing === undefined ? null : `/api/v1/scheduled-jobs/${encodeURIComponent(editing)}`;
  const existing = useResource<Schedule>(path);
  const methods = useResource<Page<MethodInfo>>("/api/v1/methods");
  const form = useDraftForm<Draft>(
    emptyDraft(),
    async (d) => {
      const spec = specOf(d, editing === undefined);
      const saved =
        editing === undefined
          ? await api<Schedule>("POST", "/api/v1/scheduled-jobs", spec)
          : await api<Schedule>("PUT", `/api/v1/scheduled-jobs/${encodeURIComponent(editing)}`, spec);
      navigate(`/scheduled-jobs/${encodeURIComponent(saved.name)}`);
    },
    editing === undefined
      ? null
      : {
          title: `Replace the definition of ${editing}?`,
          body: "Its counters and run log are kept; the next run follows the new timing.",
          confirmLabel: "Save changes",
        },
  );
  const { draft, setDraft, set } = form;
  const preview = usePreview(draft, editing);
  // The stored definition the draft was filled from: until then the form is not shown, so nothing
  // typed into it can be overwritten when the stored definition arrives.
  const [filledFrom, setFilledFrom] = useState<unknown>(null);
  useEffect(() => {
    const stored = existing.data;
    if (stored) {
      setDraft(() => draftOf(stored));
      setFilledFrom(stored);
    }
  }, [existing.data]);
  const zones = useMemo(() => {
    try {
      return Intl.supportedValuesOf("timeZone");
    } catch {
      return [];
    }
  }, []);
  // Suggestions: methods the user may enqueue. A remote target's pattern (erp:myapp.api.*) is not a
  // method; its methods are typed by full name, which the input accepts.
  const enqueueable = (methods.data?.data ?? [])
    .filter((m) => m.can_enqueue && !m.method.includes("*"))
    .map((m) => m.method);
  const patterns = (methods.data?.data ?? []).filter((m) => m.can_enqueue && m.method.includes("*"));

  if (editing !== undefined && existing.error) return <ErrorBox error={existing.error} />;
  if (editing !== undefined && (!existing.data || filledFrom !== existing.data))
    return <Loading what="Loading scheduled job" />;
  if (existing.data && existing.data.source === "code") {
    return <ErrorBox error={new Error(`${existing.data.name} is defined in code: change it there and deploy.`)} />;
  }
  const title = editing === undefined ? "New scheduled job" : `Edit ${editing}`;
  return (
    <section aria-labelledby="schedule-form-title">
      <p class="crumbs">
        <a href={href("/scheduled-jobs")}>Scheduled jobs</a>
        {editing !== undefined ? (
          <>
            {" / "}
            <a href={href(`/scheduled-jobs/${encodeURIComponent(editing)}`)}>{editing}</a>
          </>
        ) : null}
      </p>
      <h1 id="schedule-form-title">{title}</h1>
      <form class="card schedule-form" onSubmit={form.submit} aria-label={title}>
        <fieldset class="filters">
          <legend>What it runs</legend>
          {editing === undefined ? (
            <label class="field">
              <span>Name</span>
              <input
                name="name"
                required
                maxLength={100}
                pattern={ID_HTML_PATTERN}
                title={`1–100 characters of ${ID_TEXT}`}
                value={draft.name}
                onInput={set("name")}
              />
            </label>
          ) : null}
          <label class="field field-wide">
            <span>Description</span>
            <input name="description" maxLength={500} value={draft.description} onInput={set("description")} />
          </label>
          <label class="field">
            <span>Runs a</span>
            <select aria-label="Runs a" value={draft.kind} onChange={set("kind")}>
              <option value="method">method</option>
              <option value="document">document action</option>
            </select>
          </label>
          {draft.kind === "method" ? (
            <label class="field">
              <span>Method</span>
              <input
                aria-label="Method"
                list="schedule-methods"
                required
                maxLength={300}
                spellcheck={false}
                placeholder="choose or type…"
                value={draft.method}
                onInput={set("method")}
              />
              <datalist id="schedule-methods">
                {enqueueable.map((m) => (
                  <option key={m} value={m} />
                ))}
              </datalist>
            </label>
          ) : (
            <>
              <label class="field">
                <span>Document type</span>
                <input required value={draft.documentType} onInput={set("documentType")} />
              </label>
              <label class="field">
                <span>Document name</span>
                <input required value={draft.documentName} onInput={set("documentName")} />
              </label>
              <label class="field">
                <span>Action</span>
                <input required value={draft.documentAction} onInput={set("documentAction")} />
              </label>
            </>
          )}
          <label class="field field-wide">
            <span>Arguments (JSON object)</span>
            <textarea name="arguments" rows={4} spellcheck={false} value={draft.args} onInput={set("args")} />
          </label>
          {draft.kind === "method" && patterns.length > 0 ? (
            <p class="hint hint-row">
              A remote method is typed by its full name: {patterns.map((p) => p.method).join(", ")}.
            </p>
          ) : null}
        </fieldset>
        <fieldset class="filters">
          <legend>When</legend>
          <label class="field">
            <span>Frequency</span>
            <select aria-label="Frequency" value={draft.frequency} onChange={set("frequency")}>
              {FREQUENCIES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {draft.frequency === "every" ? (
            <label class="field">
              <span>Every (seconds, ≥ 10)</span>
              <input type="number" min={10} required value={draft.everyS} onInput={set("everyS")} />
            </label>
          ) : null}
          {draft.frequency === "cron" ? (
            <label class="field">
              <span>Cron (5 or 6 fields)</span>
              <input required placeholder="30 9 * * 1-5" value={draft.cron} onInput={set("cron")} />
            </label>
          ) : null}
          <label class="field">
            <span>Time zone</span>
            <input list="time-zones" value={draft.timezone} onInput={set("timezone")} />
            <datalist id="time-zones">
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </label>
          <label class="field">
            <span>Missed slots</span>
            <select aria-label="Missed slots" value={draft.missed} onChange={set("missed")}>
              {MISSED.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>While the previous run is live</span>
            <select aria-label="While the previous run is live" value={draft.overlap} onChange={set("overlap")}>
              {OVERLAP.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>Not before (your time)</span>
            <input type="datetime-local" value={draft.startAt} onInput={set("startAt")} />
          </label>
          <label class="field">
            <span>Not after (your time)</span>
            <input type="datetime-local" value={draft.endAt} onInput={set("endAt")} />
          </label>
          <label class="field">
            <span>At most (runs)</span>
            <input type="number" min={1} value={draft.maxRuns} onInput={set("maxRuns")} />
          </label>
          {isPast(draft.endAt) ? (
            <p class="hint hint-row bad" role="status">
              “Not after” is in the past: the schedule will not run again.
            </p>
          ) : null}
        </fieldset>
        <fieldset class="filters">
          <legend>Each run</legend>
          <label class="field">
            <span>Queue</span>
            <select aria-label="Queue" value={draft.queue} onChange={set("queue")}>
              <option value="">method default</option>
              <option value="short">short</option>
              <option value="default">default</option>
              <option value="long">long</option>
            </select>
          </label>
          <label class="field">
            <span>Priority</span>
            <input type="number" placeholder="method default" value={draft.priority} onInput={set("priority")} />
          </label>
          <label class="field">
            <span>Timeout (s)</span>
            <input type="number" min={1} placeholder="queue default" value={draft.timeout} onInput={set("timeout")} />
          </label>
          <label class="field">
            <span>Retries</span>
            <input type="number" min={0} max={100} value={draft.maxRetries} onInput={set("maxRetries")} />
          </label>
          <label class="field">
            <span>Retry delay (s)</span>
            <input type="number" min={0} value={draft.retryDelay} onInput={set("retryDelay")} />
          </label>
          <label class="field">
            <span>Backoff</span>
            <select aria-label="Backoff" value={draft.retryBackoff} onChange={set("retryBackoff")}>
              <option value="fixed">fixed</option>
              <option value="exponential">exponential</option>
            </select>
          </label>
        </fieldset>
        <PreviewCard preview={preview} />
        {form.error ? <ErrorBox error={new Error(form.error)} /> : null}
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary" disabled={form.busy}>
            {editing === undefined ? "Create schedule" : "Save changes…"}
          </button>
          <a
            class="btn"
            href={href(editing === undefined ? "/scheduled-jobs" : `/scheduled-jobs/${encodeURIComponent(editing)}`)}
          >
            Discard
          </a>
        </div>
      </form>
      <ConfirmDialog request={form.confirm} onClose={form.closeConfirm} />
    </section>
  );
}
