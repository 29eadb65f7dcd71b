// A remote attempt that answered 202 keeps its slot while the remote works: its lease shrinks to
// one heartbeat, each callback is a heartbeat that moves the lease forward (never past the task's
// timeout), and the lease, if the remote falls silent, fails the attempt like any lost worker.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import type { Json } from "../shared/json";
import type { Progress } from "../shared/states";
import { eventColumns, nextSeq, type EventRow } from "./columns";

/** The latest a Started attempt's lease may reach: its start + timeout + grace. */
const leaseCap = (graceMs: number) => sql`${tasks.startedAt} + ${tasks.timeout} * 1000 + ${graceMs}`;

const thisAttempt = (task: { name: string; attempt: number }) =>
  and(eq(tasks.name, task.name), eq(tasks.status, "Started"), eq(tasks.attempt, task.attempt));

/**
 * The remote accepted the attempt (202): the lease becomes `until` (one heartbeat from now, capped
 * at the task's timeout) and the status message says what the task waits for. Null when the
 * attempt is no longer Started (a callback may already have ended it).
 */
export async function acceptRemoteAttempt(
  db: Db,
  task: { name: string; attempt: number },
  until: number,
  graceMs: number,
  statusMessage: string,
): Promise<EventRow | null> {
  const [[row]] = await db.batch([
    db
      .update(tasks)
      .set({ seq: nextSeq, leaseUntil: sql`min(${until}, ${leaseCap(graceMs)})`, statusMessage })
      .where(thisAttempt(task))
      .returning(eventColumns),
  ]);
  return row ?? null;
}

/**
 * A heartbeat from the remote: the lease moves to `until` unless it already lasts longer (a call
 * still in flight keeps its full timeout), never past the cap; `progress` and `statusMessage` are
 * stored when given. Null when the attempt is no longer Started (canceled, finished, failed, or a
 * stale attempt).
 */
export async function remoteHeartbeat(
  db: Db,
  task: { name: string; attempt: number },
  until: number,
  graceMs: number,
  news: { progress?: Json<Progress>; statusMessage?: string },
): Promise<(EventRow & { leaseUntil: number | null }) | null> {
  const [[row]] = await db.batch([
    db
      .update(tasks)
      .set({
        seq: nextSeq,
        leaseUntil: sql`min(max(coalesce(${tasks.leaseUntil}, 0), ${until}), ${leaseCap(graceMs)})`,
        ...(news.progress === undefined ? {} : { progress: news.progress }),
        ...(news.statusMessage === undefined ? {} : { statusMessage: news.statusMessage }),
      })
      .where(thisAttempt(task))
      .returning({ ...eventColumns, leaseUntil: tasks.leaseUntil }),
  ]);
  return row ?? null;
}
