// Sends deliveries: claims them (so one sender owns an attempt), opens each destination's URL and
// secret, posts the notice — signed with Standard Webhooks for webhooks and subscriptions, as
// Slack's payload for Slack channels, as email through the send_email binding — and records the
// outcome: delivered on a 2xx, else due again after the backoff, until the attempts run out.
// Every URL is checked against the remote-target policy again before each attempt, and redirects
// are never followed.
import { EmailMessage } from "cloudflare:email";
import { getDb } from "../db/client";
import { inJson } from "../db/in-json";
import { alertChannels, webhookSubscriptions, type WebhookDeliveryRow } from "../db/schema";
import { claimDeliveries, recordAttempts, type AttemptRecord } from "../db/webhooks";
import { signHeaders } from "../remote/signing";
import { checkBaseUrl, isRedirect } from "../remote/url-policy";
import { config } from "../shared/config";
import { describeError, log } from "../shared/log";
import { nextDeliveryAt } from "./backoff";
import { emailMessage, slackBody } from "./formats";
import { unseal, type SealedOwner } from "./sealed";

/** How long a claimed attempt may take before another sender may take the delivery. */
const CLAIM_MS = 60_000;
/** A receiver that answers slower than this has failed the attempt. */
const SEND_TIMEOUT_MS = 10_000;

/** Where a delivery goes, opened for one send. */
type Destination =
  | { kind: "webhook"; url: string; secret: string }
  | { kind: "slack"; url: string }
  | { kind: "email"; to: string }
  | { kind: "gone"; reason: string };

/** What an attempt came to. */
export interface SendResult {
  id: string;
  status: "delivered" | "pending" | "failed";
  responseStatus: number | null;
  error: string | null;
}

async function destinations(env: Env, rows: readonly WebhookDeliveryRow[]): Promise<Map<string, Destination>> {
  const db = getDb(env);
  const out = new Map<string, Destination>();
  const subIds = [...new Set(rows.filter((r) => r.source === "subscription").map((r) => r.targetId))];
  const channelIds = [...new Set(rows.filter((r) => r.source === "alert").map((r) => r.targetId))];
  const [subs, channels] = await Promise.all([
    subIds.length === 0 ? [] : db.select().from(webhookSubscriptions).where(inJson(webhookSubscriptions.id, subIds)),
    channelIds.length === 0 ? [] : db.select().from(alertChannels).where(inJson(alertChannels.id, channelIds)),
  ]);
  const open = async (owner: SealedOwner, field: "url" | "signing", sealed: string | null) =>
    sealed === null ? null : unseal(env, owner, field, sealed);
  for (const sub of subs) {
    if (!sub.enabled) out.set(sub.id, { kind: "gone", reason: "the subscription is disabled" });
    else {
      const owner = `subscription:${sub.id}` as const;
      out.set(sub.id, {
        kind: "webhook",
        url: (await open(owner, "url", sub.urlSealed)) ?? "",
        secret: (await open(owner, "signing", sub.signingSecret)) ?? "",
      });
    }
  }
  for (const ch of channels) {
    const owner = `channel:${ch.id}` as const;
    if (!ch.enabled) out.set(ch.id, { kind: "gone", reason: "the channel is disabled" });
    else if (ch.kind === "email") out.set(ch.id, { kind: "email", to: ch.emailTo ?? "" });
    else if (ch.kind === "slack")
      out.set(ch.id, { kind: "slack", url: (await open(owner, "url", ch.urlSealed)) ?? "" });
    else
      out.set(ch.id, {
        kind: "webhook",
        url: (await open(owner, "url", ch.urlSealed)) ?? "",
        secret: (await open(owner, "signing", ch.signingSecret)) ?? "",
      });
  }
  return out;
}

/** An error message with the URL taken out (a Slack URL is a credential). */
const scrub = (message: string, url: string) => (url === "" ? message : message.split(url).join("<url>")).slice(0, 500);

async function post(
  env: Env,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number | null; error: string | null; retryAfterS: number | null }> {
  const checked = checkBaseUrl(url, { allowInsecureLocal: config(env).remoteAllowInsecureLocal });
  if (!checked.ok) return { status: null, error: `refused: the URL ${checked.reason}`, retryAfterS: null };
  try {
    const response = await fetch(checked.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Switchyard-Webhooks/1", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.ok) return { status: response.status, error: null, retryAfterS: null };
    const retryAfter = Number(response.headers.get("retry-after"));
    return {
      status: response.status,
      error: isRedirect(response.status)
        ? `HTTP ${response.status}: redirects are not followed`
        : `HTTP ${response.status}`,
      retryAfterS: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    };
  } catch (error) {
    return { status: null, error: scrub(describeError(error).error, url), retryAfterS: null };
  }
}

async function sendOne(
  env: Env,
  row: WebhookDeliveryRow,
  to: Destination | undefined,
  now: number,
): Promise<{ status: number | null; error: string | null; retryAfterS: number | null; permanent: boolean }> {
  if (to === undefined)
    return { status: null, error: "its destination was deleted", retryAfterS: null, permanent: true };
  if (to.kind === "gone") return { status: null, error: to.reason, retryAfterS: null, permanent: true };
  if (to.kind === "email") {
    const from = config(env).alertEmailFrom;
    if (from === null || env.ALERT_EMAIL === undefined) {
      return {
        status: null,
        error: "email is not configured (ALERT_EMAIL_FROM and the ALERT_EMAIL binding)",
        retryAfterS: null,
        permanent: true,
      };
    }
    try {
      await env.ALERT_EMAIL.send(new EmailMessage(from, to.to, emailMessage(row.payload, from, to.to, row.id, now)));
      return { status: null, error: null, retryAfterS: null, permanent: false };
    } catch (error) {
      return { status: null, error: describeError(error).error.slice(0, 500), retryAfterS: null, permanent: false };
    }
  }
  if (to.kind === "slack") return { ...(await post(env, to.url, slackBody(row.payload), {})), permanent: false };
  // The timestamp is when the request leaves (the receiver checks it against its own clock).
  const headers = await signHeaders({
    id: row.id,
    timestampS: Math.floor(Date.now() / 1000),
    body: row.payload,
    secrets: [to.secret],
  });
  return { ...(await post(env, to.url, row.payload, headers)), permanent: false };
}

/** Deliveries claimed and sent together (their requests run in parallel). */
const CHUNK = 50;
/** Chunks of due deliveries one sweep sends at most (the rest wait for the next minute). */
const SWEEP_CHUNKS = 20;

/**
 * Sends the given pending deliveries (or, with null, those due — up to SWEEP_CHUNKS × CHUNK), one
 * attempt each, CHUNK at a time, and records what came of them. Deliveries another sender holds,
 * or already delivered, are skipped.
 */
export async function sendDeliveries(env: Env, ids: readonly string[] | null, now = Date.now()): Promise<SendResult[]> {
  const out: SendResult[] = [];
  if (ids === null) {
    for (let i = 0; i < SWEEP_CHUNKS; i++) {
      const sent = await sendChunk(env, null, now);
      out.push(...sent);
      if (sent.length < CHUNK) break;
    }
    return out;
  }
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await sendChunk(env, ids.slice(i, i + CHUNK), now)));
  return out;
}

async function sendChunk(env: Env, ids: readonly string[] | null, now: number): Promise<SendResult[]> {
  const db = getDb(env);
  const claimed = await claimDeliveries(db, ids, now, CLAIM_MS, CHUNK);
  if (claimed.length === 0) return [];
  const targets = await destinations(env, claimed);
  const outcomes = await Promise.all(
    claimed.map(async (row): Promise<AttemptRecord> => {
      const result = await sendOne(env, row, targets.get(row.targetId), now);
      const delivered = result.error === null;
      const next = delivered || result.permanent ? null : nextDeliveryAt(now, row.attempts, result.retryAfterS);
      return {
        id: row.id,
        attempts: row.attempts,
        status: delivered ? "delivered" : next === null ? "failed" : "pending",
        nextAttemptAt: next,
        responseStatus: result.status,
        lastError: result.error,
        deliveredAt: delivered ? Date.now() : null,
      };
    }),
  );
  await recordAttempts(db, outcomes);
  for (const o of outcomes) {
    if (o.status !== "delivered")
      log.warn("webhook delivery failed", { id: o.id, status: o.status, error: o.lastError });
  }
  return outcomes.map((o) => ({ id: o.id, status: o.status, responseStatus: o.responseStatus, error: o.lastError }));
}
