// Why a task waits, as facts read from D1 in one statement: its state, and what the admission rule
// (transitions/admission.ts, the rule the scheduler admits by) says about its method right now.
import { sql } from "drizzle-orm";
import { taskWhere, type TaskStatus } from "../shared/states";
import { admissionLimit, dispatcherOn, methodLimit, methodRunning, tasksAhead } from "../transitions/admission";
import type { Db } from "./client";

/** What the admission rule and the task's row say, at one instant. */
export interface WaitingFacts {
  method: string;
  status: TaskStatus;
  wakeAt: number | null;
  attempt: number;
  retryCount: number;
  maxRetries: number;
  /** How many dispatchable tasks of the method a pass would admit now (the admission rule). */
  free: number;
  dispatcherOn: boolean;
  /** The method's concurrency limit, 0 = unlimited. */
  limit: number;
  /** The method's tasks holding a slot (Queued + Started). */
  running: number;
  /** Dispatchable tasks of the method admitted before this one; null unless it is dispatchable. */
  ahead: number | null;
}

/** A cap larger than any line, so `free` is the rule's own answer, not a pass's batch size. */
const NO_CAP = 1_000_000_000;

const t = (column: string) => `t.${column}`;

/** The facts for task `name`, or null when there is no such task. */
export async function waitingFacts(db: Db, name: string): Promise<WaitingFacts | null> {
  const method = sql.raw("t.method");
  const [row] = await db.all<{
    method: string;
    status: TaskStatus;
    wake_at: number | null;
    attempt: number;
    retry_count: number;
    max_retries: number;
    free: number;
    dispatcher_on: number;
    lim: number | null;
    running: number;
    ahead: number | null;
  }>(sql`
    SELECT t.method, t.status, t.wake_at, t.attempt, t.retry_count, t.max_retries,
      ${admissionLimit(method, NO_CAP)} AS free,
      ${dispatcherOn} AS dispatcher_on,
      ${methodLimit(method)} AS lim,
      ${methodRunning(method)} AS running,
      CASE WHEN ${sql.raw(taskWhere.dispatchable(t))} THEN ${tasksAhead("t")} END AS ahead
    FROM tasks AS t WHERE t.name = ${name}`);
  if (!row) return null;
  return {
    method: row.method,
    status: row.status,
    wakeAt: row.wake_at,
    attempt: row.attempt,
    retryCount: row.retry_count,
    maxRetries: row.max_retries,
    free: Number(row.free),
    dispatcherOn: row.dispatcher_on === 1,
    limit: row.lim ?? 0,
    running: row.running,
    ahead: row.ahead,
  };
}
