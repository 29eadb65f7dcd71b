// Shared helpers of the API contract tests: error-envelope checks, "writes nothing" checks, shortcuts.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { ADMIN, call, settleLog } from "./helpers";

/** A short random suffix so names, users and batch ids never collide between tests. */
export const uid = () => crypto.randomUUID().slice(0, 8);

/** A start time far enough ahead that a task stays Pending for the whole test run. */
export const FAR_FUTURE = new Date(Date.now() + 24 * 3_600_000).toISOString();

/** A syntactically valid task name (26-char ULID shape) that no task has. */
export const UNKNOWN_TASK = "01ZZZZZZZZZZZZZZZZZZZZZZZZ";

export const TASK_ACTIONS = ["cancel", "retry", "pause", "resume", "run-now"] as const;

/** Rows in the task log, read straight from D1 once every object has written what it holds. */
export async function taskCount(): Promise<number> {
  await settleLog();
  const row = await env.DB.prepare("select count(*) as n from tasks").first<{ n: number }>();
  return row?.n ?? -1;
}

/** Runs `fn` and asserts the tasks table has exactly as many rows afterwards as before. */
export async function expectNoTaskWritten<T>(fn: () => Promise<T>): Promise<T> {
  const before = await taskCount();
  const result = await fn();
  expect(await taskCount(), "a rejected request must not write a task").toBe(before);
  return result;
}

export type Res = Awaited<ReturnType<typeof call<any>>>;

/** Asserts the `{ error: { code, message, details } }` envelope with `status` (and `code` if given). */
export function expectErrorEnvelope(
  res: Res,
  status: number,
  code?: string,
): { code: string; message: string; details: any } {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/application\/json/);
  expect(res.body).toBeTypeOf("object");
  expect(Object.keys(res.body).sort()).toEqual(["error"]);
  const error = res.body.error;
  expect(Object.keys(error).sort()).toEqual(["code", "details", "message"]);
  expect(error.code).toBeTypeOf("string");
  expect(error.message).toBeTypeOf("string");
  expect(error.message.length).toBeGreaterThan(0);
  if (code !== undefined) expect(error.code).toBe(code);
  return error;
}

/** POSTs a task spec and expects a rejection with the envelope; asserts no task was written. */
export async function rejectEnqueue(spec: unknown, status: number, code?: string, key: string = ADMIN) {
  return expectNoTaskWritten(async () => {
    const res = await call("/api/v1/tasks", { body: spec, key });
    return expectErrorEnvelope(res, status, code);
  });
}

/** POSTs a task action (no body). */
export function act(name: string, action: string, key: string = ADMIN): Promise<Res> {
  return call(`/api/v1/tasks/${name}/${action}`, { method: "POST", key });
}

/** Lists tasks with query parameters. */
export function list(query: Record<string, string | number>, key: string = ADMIN): Promise<Res> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return call(`/api/v1/tasks?${qs.toString()}`, { key });
}

/** The `key` part of a "key:secret" credential. */
export const keyId = (credential: string) => credential.slice(0, credential.indexOf(":"));
