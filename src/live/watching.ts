// Who watches the object's tasks, for the events that are not written to the log (progress): what
// the last log write read for each task, what the realtime hub says when a task gets a subscriber,
// and — while progress flows — the watches re-read from D1 now and then.
import { getDb } from "../db/client";
import { readWatches } from "../db/live-log";
import { publishTaskEvents, type EventRow, type Watches } from "../events/events";
import { describeError, log } from "../shared/log";
import type { ObjectContext } from "./context";
import { changeOf } from "./live";
import type { TaskRecord } from "./store";

/** How often the watches are re-read while progress events flow. */
const REFRESH_MS = 10_000;
const KEPT = 10_000;

export class Watching {
  private readonly byTask = new Map<string, Watches>();
  private allUntil: number | null = null;
  private readAt = 0;

  constructor(private readonly object: ObjectContext) {}

  /** What a log write read for a task. */
  note(name: string, watches: Watches): void {
    if (this.byTask.size > KEPT) this.byTask.clear();
    this.byTask.set(name, watches);
    if (watches.allWatchUntil !== null) this.allUntil = Math.max(this.allUntil ?? 0, watches.allWatchUntil);
  }

  /** Whether anyone is known to watch the task (its own scope, its batch's or its owner's). */
  isWatched(name: string, now: number): boolean {
    return (this.byTask.get(name)?.watchUntil ?? 0) > now;
  }

  /** The realtime hub says the task got a subscriber until `until`. */
  watched(name: string, until: number): void {
    const known = this.byTask.get(name);
    this.note(name, {
      watchUntil: Math.max(until, known?.watchUntil ?? 0),
      allWatchUntil: known?.allWatchUntil ?? null,
    });
  }

  /** Publishes a change that is not written to the log (progress) to whoever watches its task. */
  publish(task: TaskRecord): void {
    void (async () => {
      const now = Date.now();
      if (now - this.readAt > REFRESH_MS) {
        this.readAt = now;
        try {
          const read = await readWatches(getDb(this.object.env), task);
          this.note(task.name, read);
          this.allUntil = read.allWatchUntil;
        } catch (error) {
          log.warn("could not read watches", describeError(error));
        }
      }
      const row: EventRow = {
        ...changeOf(task),
        watchUntil: this.byTask.get(task.name)?.watchUntil ?? null,
        allWatchUntil: this.allUntil,
      };
      await publishTaskEvents(this.object.env, [row], now);
    })();
  }
}
