// Completion webhooks: the hook on the method objects' log writes. For each group it matches the
// tasks that end in it (finished, failed with no retry left, canceled) and the batches they may
// finish against the cached subscriptions, and adds the deliveries to the same D1 batch as the log
// rows — so an event exists exactly when the log has the end, and a group written twice makes no
// second delivery (ids are derived from the event). Once written, the deliveries are sent at once;
// the minute cron retries what fails.
import { getDb } from "../db/client";
import type { WebhookSubscriptionRow } from "../db/schema";
import { insertBatchDoneStatement, insertDeliveriesStatement, type NewDelivery } from "../db/webhooks";
import type { WebhookEvent } from "../shared/alert-sets";
import { errorSummary } from "../shared/errors";
import { fromJson } from "../shared/json";
import type { LogGroupHook, LoggedTaskFacts } from "../shared/log-group-hook";
import { describeError, log } from "../shared/log";
import { sendDeliveries } from "./deliver";
import { cachedSubscriptions } from "./subscription-cache";

/** The completion event a logged state is, or null (live, or failed with a retry scheduled). */
export function completionEvent(task: Pick<LoggedTaskFacts, "status" | "wakeAt">): WebhookEvent | null {
  if (task.status === "Finished") return "task.finished";
  if (task.status === "Canceled") return "task.canceled";
  if (task.status === "Failed" && task.wakeAt === null) return "task.failed";
  return null;
}

/** Whether `sub` may see and covers `task` (a subscription never reaches past its owner's tasks unless made by a System Manager). */
export function covers(
  sub: WebhookSubscriptionRow,
  task: Pick<LoggedTaskFacts, "method" | "owner" | "batchId">,
): boolean {
  if (!sub.allOwners && task.owner !== sub.owner) return false;
  if (sub.scope === "method") return task.method === sub.scopeValue;
  if (sub.scope === "owner") return task.owner === sub.scopeValue;
  return task.batchId === sub.scopeValue;
}

/** A delivery id derived from what makes the event unique: the same event always gets the same webhook-id. */
export async function eventId(parts: readonly (string | number | null)[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(parts)));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `msg_${hex.slice(0, 32)}`;
}

/** The task event's body (Standard Webhooks' `{ type, timestamp, data }`). */
function taskPayload(type: WebhookEvent, task: LoggedTaskFacts, now: number): string {
  return JSON.stringify({
    type,
    timestamp: new Date(now).toISOString(),
    data: {
      name: task.name,
      job_name: task.jobName,
      method: task.method,
      owner: task.owner,
      status: task.status,
      attempt: task.attempt,
      batch_id: task.batchId,
      ended_at: task.endedAt === null ? null : new Date(task.endedAt).toISOString(),
      time_taken: task.timeTaken,
      error: errorSummary(task.errorMessage),
    },
  });
}

const wanted = (sub: WebhookSubscriptionRow, event: WebhookEvent) => fromJson(sub.events).includes(event);

/** The hook src/index.ts installs on every method object's log writes. */
export const completionWebhooks: LogGroupHook = {
  async prepare(env, tasks, now) {
    const ended = tasks.filter((t) => completionEvent(t) !== null);
    if (ended.length === 0) return null;
    const subs = await cachedSubscriptions(env, now);
    if (subs.length === 0) return null;
    const deliveries: NewDelivery[] = [];
    const batchDone = new Map<string, { id: string; targetId: string; owner: string; batchId: string; at: string }>();
    for (const task of ended) {
      const type = completionEvent(task);
      if (type === null) continue;
      for (const sub of subs) {
        if (!covers(sub, task)) continue;
        if (wanted(sub, type)) {
          deliveries.push({
            id: await eventId([sub.id, task.name, task.attempt, task.status, task.endedAt]),
            source: "subscription",
            targetId: sub.id,
            owner: sub.owner,
            eventType: type,
            incidentId: null,
            payload: taskPayload(type, task, now),
          });
        }
        if (task.batchId !== null && sub.scope !== "method" && wanted(sub, "batch.done")) {
          const id = await eventId([sub.id, task.batchId, "batch.done"]);
          batchDone.set(id, {
            id,
            targetId: sub.id,
            owner: sub.owner,
            batchId: task.batchId,
            at: new Date(now).toISOString(),
          });
        }
      }
    }
    if (deliveries.length === 0 && batchDone.size === 0) return null;
    const db = getDb(env);
    const statements: D1PreparedStatement[] = [];
    // A few hundred events per statement keeps its one JSON parameter far below D1's 2 MB.
    for (let i = 0; i < deliveries.length; i += 500) {
      statements.push(insertDeliveriesStatement(db, deliveries.slice(i, i + 500), now));
    }
    if (batchDone.size > 0) statements.push(insertBatchDoneStatement(db, [...batchDone.values()], now));
    const ids = [...deliveries.map((d) => d.id), ...batchDone.keys()];
    return {
      statements,
      written: async () => {
        try {
          await sendDeliveries(env, ids, Date.now());
        } catch (error) {
          log.warn("sending completion webhooks failed; the cron retries them", describeError(error));
        }
      },
    };
  },
};
