// Adopting a task the log knows but the method's object does not (a database from before live
// tasks moved into the objects, a row the object lost, or an ended task being retried): its own
// file, so enqueue.ts (which cancels through actions.ts) and actions.ts (whose retry adopts) do not
// import each other.
import type { Live } from "./live";
import type { TaskRecord } from "./store";

/**
 * Takes in a task the log knows but this object does not: one the log shows live (a database from
 * before live tasks moved into the objects, or a row the object lost), or an ended one being
 * retried. A task the log shows Queued goes back in line (its message, if it still comes, names
 * the attempt it will be admitted as); a Started one keeps its attempt in flight until its
 * outcome or its lease. Returns the task as it now is here.
 */
export function adoptTask(live: Live, logged: TaskRecord, now: number, leaseGraceMs: number): TaskRecord | null {
  if (live.store.readTask(logged.name)) return live.get(logged.name);
  const inFlight = logged.status === "Queued" || logged.status === "Started";
  const row: TaskRecord = inFlight
    ? {
        ...logged,
        status: "Pending",
        attempt: logged.attempt - 1,
        queuedAt: null,
        startedAt: null,
        leaseUntil: null,
        jobId: null,
      }
    : logged;
  live.store.insertTasks([row], null, now);
  if (logged.status === "Started") {
    const claim = `adopted:${logged.name}:${logged.attempt}`;
    live.inFlight.set(logged.name, {
      name: logged.name,
      attempt: logged.attempt,
      queue: logged.queue,
      status: "Started",
      queuedAt: logged.queuedAt ?? logged.startedAt ?? now,
      leaseUntil: (logged.startedAt ?? now) + logged.timeout * 1000 + leaseGraceMs,
      claim,
      startedAt: logged.startedAt ?? now,
      jobId: logged.jobId,
      endedAt: null,
      timeTaken: null,
      result: null,
      errorMessage: null,
      statusMessage: logged.statusMessage,
      debugLog: null,
      progress: logged.progress,
      wakeAt: null,
      seq: logged.seq,
    });
    live.ref(claim, logged.name);
    live.saveClaim(claim);
  }
  const task = live.get(logged.name);
  if (task) {
    live.enterLine(task);
    if (logged.status === "Queued") live.markDirty(task, now);
  }
  return task;
}
