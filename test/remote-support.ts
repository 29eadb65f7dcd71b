// Helpers for remote-method tests: a target on the demo-frappe site (a real second Worker that
// every outbound fetch of the Worker under test reaches), and the site's record of what it got.
import { expect, vi } from "vitest";
import type { CallRecord } from "../sites/demo-frappe/calls";
import { uid } from "./api-support";
import { call } from "./helpers";

/** The demo site's credentials (vitest.config.ts). */
export const SITE_KEY = "demo-key";
export const SITE_SECRET = "demo-secret";

/** What the site recorded of one call (its own type). */
export type SiteCall = CallRecord;

/**
 * Registers a frappe target on its own host of the demo site, and makes the site require that
 * target's signing secret for that host. Returns the target's name, host and signing secret.
 */
export async function siteTarget(
  overrides: Record<string, unknown> = {},
): Promise<{ name: string; host: string; secret: string }> {
  const name = `erp-${uid()}`;
  const host = `${name}.localhost`;
  const res = await call(`/api/v1/remote-targets/${name}`, {
    method: "PUT",
    body: {
      kind: "frappe",
      base_url: `http://${host}`,
      credentials: { api_key: SITE_KEY, api_secret: SITE_SECRET },
      allowed_methods: ["myapp.api.*", "Sales Invoice.*"],
      ...overrides,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const secret = res.body.signing_secret as string;
  await requireSignatures(host, [secret]);
  return { name, host, secret };
}

/** Makes the site check signatures on `host` against `secrets` ([] = check nothing). */
export async function requireSignatures(host: string, secrets: string[]): Promise<void> {
  const res = await fetch(`http://${host}/__signing-secret`, { method: "PUT", body: JSON.stringify({ secrets }) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
}

/** What the site received for `task` (oldest first). */
export async function siteCalls(host: string, task: string): Promise<SiteCall[]> {
  const res = await fetch(`http://${host}/__calls?task=${encodeURIComponent(task)}`);
  const body = await res.json<{ calls: SiteCall[] }>();
  return body.calls;
}

/** Waits until `check` holds for the site's calls of `task`; returns them. */
export async function waitForCalls(
  host: string,
  task: string,
  check: (calls: SiteCall[]) => boolean,
  timeout = 20_000,
): Promise<SiteCall[]> {
  let calls: SiteCall[] = [];
  try {
    await vi.waitUntil(
      async () => {
        calls = await siteCalls(host, task);
        return check(calls);
      },
      { timeout, interval: 25 },
    );
  } catch {
    throw new Error(`the site's calls for ${task} never matched; last: ${JSON.stringify(calls)}`);
  }
  return calls;
}
