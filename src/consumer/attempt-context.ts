// Per-attempt helpers handed to a handler: the debug log buffer and the throttled progress writer.
import { toJson, type Json } from "../shared/json";
import { describeError, log } from "../shared/log";
import type { Progress } from "../shared/states";

const DEBUG_LOG_MAX = 64 * 1024;
const DESCRIPTION_MAX = 500;

/** Collects `ctx.log(...)` lines, keeping at most 64 KB. */
export class DebugLog {
  private readonly lines: string[] = [];
  private size = 0;
  private truncated = false;

  add(parts: unknown[]): void {
    if (this.truncated) return;
    const text = parts.map((p) => (typeof p === "string" ? p : safeJson(p))).join(" ");
    const line = `${new Date().toISOString()} ${text}`;
    if (this.size + line.length > DEBUG_LOG_MAX) {
      this.lines.push("… (debug log truncated at 64 KB)");
      this.truncated = true;
      return;
    }
    this.lines.push(line);
    this.size += line.length + 1;
  }

  /** The log text, or null when nothing was logged. */
  text(): string | null {
    return this.lines.length > 0 ? this.lines.join("\n") : null;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Turns what a handler passed to `ctx.progress` into the stored shape; throws on nonsense. */
export function normalizeProgress(input: Progress | string): Progress {
  if (typeof input === "string") return { description: input.slice(0, DESCRIPTION_MAX) };
  const out: Progress = {};
  for (const key of ["count", "total"] as const) {
    const value = input[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`progress.${key} must be a non-negative finite number`);
    }
    out[key] = value;
  }
  if (input.description !== undefined) out.description = String(input.description).slice(0, DESCRIPTION_MAX);
  return out;
}

/**
 * Sends progress to the method's object at most once per interval, with a trailing send so the
 * object's value never lags the last report by more than one interval. Calls `onLost` when the
 * object answers that the attempt is no longer Started (canceled, or failed by its lease), so the
 * handler's signal can abort.
 */
export class ProgressWriter {
  private latest: Json<Progress> | null = null;
  private written: Json<Progress> | null = null;
  private lastWriteAt = 0;
  private trailing: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly task: { name: string; attempt: number },
    private readonly intervalMs: number,
    private readonly onLost: () => void,
    /** Sends the value; resolves false when the attempt is over. */
    private readonly send: (progress: Json<Progress>) => Promise<boolean>,
  ) {}

  async report(input: Progress | string): Promise<void> {
    const progress = normalizeProgress(input);
    this.latest = toJson(progress);
    const wait = this.lastWriteAt + this.intervalMs - Date.now();
    if (wait > 0) {
      this.trailing ??= setTimeout(() => {
        this.trailing = null;
        void this.flush();
      }, wait);
      return;
    }
    await this.flush();
  }

  /** The latest reported progress as JSON, for the outcome. */
  final(): Json<Progress> | null {
    return this.latest;
  }

  /** Stops trailing writes (the outcome write carries the final value). */
  close(): void {
    this.closed = true;
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = null;
  }

  private async flush(): Promise<void> {
    const value = this.latest;
    if (this.closed || value === null || value === this.written) return;
    this.lastWriteAt = Date.now();
    this.written = value;
    try {
      if (!(await this.send(value))) this.onLost();
    } catch (error) {
      log.warn("progress write failed", { task: this.task.name, ...describeError(error) });
    }
  }
}
