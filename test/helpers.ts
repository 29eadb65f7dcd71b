// Test helpers: real HTTP through the Worker's fetch handler, API keys per role, and waiting on task states.
import { env, exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { shardObjectNames } from "../src/shared/shards";

export const ADMIN = "admin:test-admin-secret";

export interface CallOptions {
  method?: string;
  body?: unknown;
  key?: string | null;
  headers?: Record<string, string>;
  rawBody?: string;
}

/** Calls the Worker over HTTP (through its fetch handler) and returns status + parsed JSON body. */
export async function call<T = any>(
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? ADMIN : options.key;
  if (key !== null) headers.authorization = `token ${key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !("content-type" in headers)) headers["content-type"] = "application/json";
  const response = await exports.default.fetch(
    new Request(`http://switchyard.test${path}`, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
    }),
  );
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Creates an API key for `user` with `roles`; returns "key:secret". */
export async function createKey(user: string, roles: string[] = ["Task User"]): Promise<string> {
  const res = await call("/api/v1/api-keys", { body: { user, roles } });
  expect(res.status).toBe(201);
  return res.body.api_key as string;
}

/** Enqueues a task and expects 201; returns the task JSON. */
export async function enqueue(spec: Record<string, unknown>, key: string = ADMIN): Promise<any> {
  const res = await call("/api/v1/tasks", { body: spec, key });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Reads a task as the admin. */
export async function getTask(name: string): Promise<any> {
  const res = await call(`/api/v1/tasks/${name}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Waits (up to `timeout` ms) until the task has one of `statuses`; returns it. */
export async function waitForStatus(name: string, statuses: string | string[], timeout = 20_000): Promise<any> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  let last: any;
  try {
    await vi.waitUntil(
      async () => {
        last = await getTask(name);
        return wanted.includes(last.status);
      },
      { timeout, interval: 25 },
    );
  } catch {
    throw new Error(`task ${name} never reached ${wanted.join("/")}; last: ${JSON.stringify(last)}`);
  }
  return last;
}

/** Sets a method's concurrency limit (and optional priority) as the admin. */
export async function setTaskType(method: string, body: Record<string, unknown>): Promise<void> {
  const res = await call(`/api/v1/task-types/${encodeURIComponent(method)}`, { method: "PUT", body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Switches the dispatcher. */
export async function setDispatcher(enabled: boolean): Promise<void> {
  const res = await call("/api/v1/dispatcher", { method: "PUT", body: { enabled } });
  expect(res.status).toBe(200);
}

/**
 * Brings the task log up to date: every method's objects write what the log lacks now (new tasks
 * included). Lists and counts read the log, which otherwise trails the objects by the log lag.
 */
export async function settleLog(): Promise<void> {
  const { results } = await env.DB.prepare("SELECT method, shards FROM method_routes").all<{
    method: string;
    shards: number;
  }>();
  // Every object of every method: a sharded one has several (src/shared/shards.ts).
  const objects = results.flatMap((r) => shardObjectNames(r.method, r.shards));
  await Promise.all(objects.map((name) => env.METHOD_TASKS.getByName(name).flushNow()));
}
