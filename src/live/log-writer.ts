// Writing the method's changes to the task log (D1) in groups: every LOG_FLUSH_MS while the object
// owes the log anything, one group at a time, backing off while D1 fails. Once a group is written,
// ended tasks leave the object and the group's events are published (with the batch counters the
// same write read), so anything a subscriber is told is already in the log. The method's counters
// (counters.ts) are saved here too, at most once per group.
import { getDb } from "../db/client";
import { markMethodLive } from "../db/live-log";
import { writeLog } from "../db/log";
import { publishTaskEvents, type EventRow } from "../events/events";
import { logGroupHook } from "../shared/log-group-hook";
import { describeError, log } from "../shared/log";
import type { ObjectContext } from "./context";
import { confirmLogGroup, takeLogGroup } from "./log";
import type { Watching } from "./watching";

/** Most tasks in one log group. */
const GROUP_MAX = 2_000;
/** Backoff after a failed write, up to its cap. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** How long `live_until` in the method registry lasts; renewed while the object writes. */
const LIVE_MARK_MS = 10 * 60_000;

export class LogWriter {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private busy: Promise<void> | null = null;
  private failures = 0;
  private liveMarkUntil = 0;
  /** Someone waits for a change the object owes the log: write the next group without the usual wait. */
  private urgent = false;

  constructor(
    private readonly object: ObjectContext,
    private readonly watching: Watching,
    /** Whether the object may write yet (its reconciliation with the log is done). */
    private readonly ready: () => boolean,
  ) {}

  /** Writes a group soon, if the object owes the log anything. */
  schedule(): void {
    if (this.timer !== null || this.object.live.dirty.size === 0) return;
    const wait =
      this.failures > 0
        ? Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1))
        : this.urgent
          ? 0
          : this.object.live.cfg.logFlushMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.exclusive(() => this.write(this.object.live.cfg.logDelayMs));
    }, wait);
  }

  /** Writes the next group at once (unless D1 is failing): a task someone waits for has ended. */
  urge(): void {
    this.urgent = true;
    if (this.timer !== null && this.failures === 0) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.schedule();
  }

  /** Writes everything owed now (new tasks too), group after group; stops early if D1 fails. */
  async writeAll(): Promise<void> {
    await this.exclusive(async () => {
      for (let round = 0; round < 100 && this.object.live.dirty.size > 0; round++) {
        const before = this.object.live.dirty.size;
        await this.write(0);
        if (this.failures > 0 || this.object.live.dirty.size >= before) break;
      }
    });
  }

  /** Runs `fn` with no log write under way (a reconciliation must not race a write's deletions). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.busy) await this.busy;
    let done: () => void = () => {};
    this.busy = new Promise<void>((resolve) => (done = resolve));
    try {
      return await fn();
    } finally {
      this.busy = null;
      done();
      this.schedule();
    }
  }

  /**
   * Keeps the method's `live_until` in the registry ahead of now while the object holds work (one
   * D1 write every few minutes), so the minute cron ticks it and the ops summary lists it. A
   * failure is logged and tried again with the next write.
   */
  async markLive(now = Date.now()): Promise<void> {
    if (this.liveMarkUntil >= now + LIVE_MARK_MS / 2) return;
    try {
      await markMethodLive(getDb(this.object.env), this.object.method, now + LIVE_MARK_MS);
      this.liveMarkUntil = now + LIVE_MARK_MS;
    } catch (error) {
      log.warn("could not mark the method live", { method: this.object.method, ...describeError(error) });
    }
  }

  private async write(delayMs: number): Promise<void> {
    if (!this.ready()) return;
    const { env, live, method, storage } = this.object;
    this.urgent = false;
    try {
      // The method's counters ride along with the log's rhythm: one meta row per group at most.
      if (live.counters.owesSave()) storage.transactionSync(() => live.counters.save(live.store));
      const now = Date.now();
      const group = takeLogGroup(live, now, delayMs, GROUP_MAX);
      if (group.tasks.length === 0) return;
      const db = getDb(env);
      const addition = await logGroupHook()?.prepare(env, group.tasks, now);
      const { written, batches } = await writeLog(db, group.tasks, now, addition?.statements);
      if (addition) void addition.written();
      await this.markLive();
      this.failures = 0;
      storage.transactionSync(() => confirmLogGroup(live, group, Date.now()));
      const events: EventRow[] = [];
      for (const row of written) {
        const watches = { watchUntil: row.watchUntil, allWatchUntil: row.allWatchUntil };
        this.watching.note(row.name, watches);
        live.publishing.add(row.name);
        for (const change of group.changes.get(row.name) ?? []) {
          if (change.seq <= row.seq) events.push({ ...change, ...watches });
        }
      }
      try {
        await publishTaskEvents(env, events, Date.now(), new Map(batches.map((b) => [b.batchId, b])));
      } finally {
        for (const row of written) live.publishing.delete(row.name);
      }
    } catch (error) {
      this.failures++;
      log.error("log write failed; it will be tried again", { method, ...describeError(error) });
    }
  }
}
