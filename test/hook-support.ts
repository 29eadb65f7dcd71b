// Helpers for alert and webhook tests: an inbox on the demo site's webhook receiver (a real second
// Worker that every outbound fetch of the Worker under test reaches) and signature checks.
import { expect, vi } from "vitest";
import type { HookRecord } from "../sites/demo-frappe/hooks";
import { verify } from "../src/remote/signing";
import { uid } from "./api-support";

/** A fresh inbox: its URL (a loopback host, allowed by the local-development switch the tests set) and name. */
export function newInbox(): { name: string; url: string } {
  const name = `in-${uid()}`;
  return { name, url: `http://hooks-${uid()}.localhost/hooks/${name}` };
}

/** What the inbox received, oldest first. */
export async function received(url: string): Promise<HookRecord[]> {
  const res = await fetch(url.replace("/hooks/", "/__hooks/"));
  return (await res.json<{ received: HookRecord[] }>()).received;
}

/** Makes the inbox answer the next requests with `statuses` (then 204). */
export async function answerWith(url: string, statuses: number[]): Promise<void> {
  const res = await fetch(url.replace("/hooks/", "/__hooks/"), { method: "PUT", body: JSON.stringify({ statuses }) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
}

/** Waits until the inbox holds at least `n` requests; returns them. */
export async function waitForHooks(url: string, n: number): Promise<HookRecord[]> {
  let got: HookRecord[] = [];
  await vi.waitUntil(
    async () => {
      got = await received(url);
      return got.length >= n;
    },
    { timeout: 30_000, interval: 50 },
  );
  return got;
}

/** True when the request carries a valid Standard Webhooks signature under `secret`. */
export async function signedBy(record: HookRecord, secret: string): Promise<boolean> {
  const result = await verify({
    headers: record.headers,
    body: record.body,
    secrets: [secret],
    nowS: Math.floor(Date.now() / 1000),
  });
  return result.ok;
}

/** The body's `type`. */
export const typeOf = (record: HookRecord) => (JSON.parse(record.body) as { type: string }).type;
