// What the completion hook matches against: every enabled subscription, read from D1 at most once
// per WEBHOOK_CACHE_TTL_S per isolate (and at once after a change made in this isolate), so a log
// write whose tasks no subscription covers costs no D1 statement at all.
import { getDb } from "../db/client";
import type { WebhookSubscriptionRow } from "../db/schema";
import { enabledSubscriptions } from "../db/webhooks";
import { config } from "../shared/config";

let cached: { at: number; rows: WebhookSubscriptionRow[] } | null = null;
let loading: Promise<WebhookSubscriptionRow[]> | null = null;

/** Enabled subscriptions, as of at most WEBHOOK_CACHE_TTL_S ago. */
export async function cachedSubscriptions(env: Env, now = Date.now()): Promise<WebhookSubscriptionRow[]> {
  const ttlMs = config(env).webhookCacheTtlS * 1000;
  if (cached !== null && now - cached.at < ttlMs) return cached.rows;
  loading ??= enabledSubscriptions(getDb(env)).finally(() => (loading = null));
  const rows = await loading;
  cached = { at: now, rows };
  return rows;
}

/** Forgets the cache (a subscription changed in this isolate). */
export function forgetSubscriptions(): void {
  cached = null;
}
