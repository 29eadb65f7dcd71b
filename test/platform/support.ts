// Helpers of the platform suite: HTTP calls to a running platform, and waiting on task states.
import { expect } from "vitest";
import type { Platform } from "../browser/platform";

/** Calls the platform's API as its admin (POST with a body, else GET); returns status and parsed JSON. */
export async function api(
  platform: Platform,
  path: string,
  body?: unknown,
  method: string = body === undefined ? "GET" : "POST",
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `token ${platform.adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

/** Waits until every named task has one of `statuses` (exact reads); returns them. */
export async function waitForAll(platform: Platform, names: readonly string[], statuses: string[]): Promise<any[]> {
  let tasks: any[] = [];
  await expect
    .poll(
      async () => {
        tasks = await Promise.all(names.map(async (n) => (await api(platform, `/api/v1/tasks/${n}`)).body));
        return tasks.filter((t) => !statuses.includes(t?.status)).map((t) => `${t?.name} ${t?.status}`);
      },
      { interval: 500 },
    )
    .toEqual([]);
  return tasks;
}
