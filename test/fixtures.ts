// Fixture builders: task rows written straight to D1 in the states that failures leave behind,
// and direct calls of the Worker's queue and scheduled handlers.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import { getDb } from "../src/db/client";
import { tasks, type NewTaskRow, type TaskRow } from "../src/db/schema";
import { newId } from "../src/shared/ids";

/** Inserts a task row as-is (no scheduler involved). */
export async function insertTaskRow(overrides: Partial<NewTaskRow> = {}): Promise<TaskRow> {
  const now = Date.now();
  const method = overrides.method ?? "demo.sleep";
  const name = overrides.name ?? newId(now);
  const row: NewTaskRow = {
    name,
    orderKey: name,
    jobName: method,
    method,
    queue: "default",
    timeout: 300,
    arguments: JSON.stringify({ ms: 1 }),
    status: "Pending",
    owner: "Administrator",
    createdAt: now,
    ...overrides,
  };
  const [inserted] = await getDb(env).insert(tasks).values(row).returning();
  if (!inserted) throw new Error("insert failed");
  return inserted;
}

/** Named scenarios of tasks that a failure left in flight. */
export const scenarios = {
  /** Queued for attempt 1, but its message was never sent (or was lost); the lease has run out. */
  queuedWithLostMessage: (overrides: Partial<NewTaskRow> = {}) =>
    insertTaskRow({
      status: "Queued",
      attempt: 1,
      queuedAt: Date.now() - 60_000,
      leaseUntil: Date.now() - 1,
      ...overrides,
    }),
  /** Queued for attempt 1 with its message still in flight (the lease is far away). */
  queuedInFlight: (overrides: Partial<NewTaskRow> = {}) =>
    insertTaskRow({
      status: "Queued",
      attempt: 1,
      queuedAt: Date.now(),
      leaseUntil: Date.now() + 3_600_000,
      ...overrides,
    }),
  /** Started on a worker that vanished: no outcome, and timeout + grace have passed. */
  startedOnVanishedWorker: (overrides: Partial<NewTaskRow> = {}) =>
    insertTaskRow({
      status: "Started",
      attempt: 1,
      queuedAt: Date.now() - 120_000,
      startedAt: Date.now() - 100_000,
      timeout: 60,
      leaseUntil: Date.now() - 1,
      ...overrides,
    }),
};

/** Delivers messages to the Worker's queue handler, as the queue would, and returns ack/retry state. */
export async function deliver(queue: string, messages: { id: string; body: unknown; attempts?: number }[]) {
  const batch = createMessageBatch(
    queue,
    messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

/** Runs the minute cron once and waits for it. */
export async function runCron(at = Date.now()): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}
