// What transitions return: the columns an event needs, read in the same statement as the change,
// with the expiry of any realtime watch covering the row (see realtime/ for why that is atomic).
import { Column, getTableColumns, is, sql } from "drizzle-orm";
import { tasks, type TaskRow } from "../db/schema";

/**
 * The latest expiry of any watch covering the task row being written — its own scope, its batch's
 * or its owner's. Read inside RETURNING, so the answer belongs to the same transaction as the
 * transition: a subscriber registered before the write always gets the event.
 */
const WATCH_UNTIL = `(SELECT max(until) FROM realtime_watches WHERE scope IN ('task:' || tasks.name, 'batch:' || tasks.batch_id, 'owner:' || tasks.owner))`;
const watchUntil = sql<number | null>`${sql.raw(WATCH_UNTIL)}`;

/** Columns a transition returns so an event can be built without another read. */
export const eventColumns = {
  name: tasks.name,
  jobName: tasks.jobName,
  method: tasks.method,
  status: tasks.status,
  statusMessage: tasks.statusMessage,
  errorMessage: tasks.errorMessage,
  progress: tasks.progress,
  batchId: tasks.batchId,
  owner: tasks.owner,
  seq: tasks.seq,
  wakeAt: tasks.wakeAt,
  attempt: tasks.attempt,
  queue: tasks.queue,
  watchUntil,
};

/** A row as eventColumns returns it. */
export type EventRow = Pick<TaskRow, Exclude<keyof typeof eventColumns, "watchUntil">> & {
  watchUntil: number | null;
};

/** The full row plus its watch expiry, for transitions whose caller also needs the task. */
export const rowWithWatch = { ...getTableColumns(tasks), watchUntil };

/** A task row as such a transition returns it. */
export type WatchedTask = TaskRow & { watchUntil: number | null };

/**
 * eventColumns as a RETURNING clause, for the statements written as SQL text (the bulk insert over
 * json_each): generated from eventColumns, so both paths return the same fields.
 */
export const EVENT_RETURNING = `RETURNING ${Object.entries(eventColumns)
  .map(([key, column]) => `${is(column, Column) ? `tasks.${column.name}` : WATCH_UNTIL} AS ${key}`)
  .join(", ")}`;

/** Bumps the task's event sequence; every published change does. */
export const nextSeq = sql`${tasks.seq} + 1`;
