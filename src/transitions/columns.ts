// What transitions return: the columns an event needs, read in the same statement as the change,
// with the expiry of any realtime watch covering the row (see realtime/ for why that is atomic).
import { Column, getTableColumns, is, sql } from "drizzle-orm";
import { tasks, type TaskRow } from "../db/schema";
import { ALL_SCOPE } from "../shared/realtime-scopes";

/**
 * The latest expiry of any watch covering the task row being written — its own scope, its batch's
 * or its owner's. Read inside RETURNING, so the answer belongs to the same transaction as the
 * transition: a subscriber registered before the write always gets the event.
 */
const WATCH_UNTIL = `(SELECT max(until) FROM realtime_watches WHERE scope IN ('task:' || tasks.name, 'batch:' || tasks.batch_id, 'owner:' || tasks.owner))`;
const watchUntil = sql<number | null>`${sql.raw(WATCH_UNTIL)}`;

/**
 * The expiry of the System Managers' watch on every task, read in the same RETURNING for the same
 * reason: a subscriber to all tasks registered before a write always gets that write's event. A
 * separate column, because those subscribers live in their own hub (ALL_HUB), not the owner's.
 */
const ALL_WATCH_UNTIL = `(SELECT until FROM realtime_watches WHERE scope = '${ALL_SCOPE}')`;
const allWatchUntil = sql<number | null>`${sql.raw(ALL_WATCH_UNTIL)}`;

/** The RETURNING columns that are not table columns, as SQL text (for EVENT_RETURNING). */
const WATCH_COLUMNS: Record<string, string> = { watchUntil: WATCH_UNTIL, allWatchUntil: ALL_WATCH_UNTIL };

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
  allWatchUntil,
};

/** A row as eventColumns returns it. */
export type EventRow = Pick<TaskRow, Exclude<keyof typeof eventColumns, keyof Watches>> & Watches;

/** When the watches covering a written row end (null: nobody watches). */
export interface Watches {
  /** Its task's, batch's or owner's watch: the owner's hub publishes. */
  watchUntil: number | null;
  /** The every-task watch: the ALL_HUB publishes. */
  allWatchUntil: number | null;
}

/** The full row plus its watch expiry, for transitions whose caller also needs the task. */
export const rowWithWatch = { ...getTableColumns(tasks), watchUntil, allWatchUntil };

/** A task row as such a transition returns it. */
export type WatchedTask = TaskRow & Watches;

/**
 * eventColumns as a RETURNING clause, for the statements written as SQL text (the bulk insert over
 * json_each): generated from eventColumns, so both paths return the same fields.
 */
export const EVENT_RETURNING = `RETURNING ${Object.entries(eventColumns)
  .map(([key, column]) => `${is(column, Column) ? `tasks.${column.name}` : WATCH_COLUMNS[key]} AS ${key}`)
  .join(", ")}`;

/** Bumps the task's event sequence; every published change does. */
export const nextSeq = sql`${tasks.seq} + 1`;
