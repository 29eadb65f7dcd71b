// Completion webhook subscriptions: create, read, change, delete and test. A Task User subscribes
// to their own tasks only (a method they may enqueue, themselves as owner, or one of their
// batches) and sees only their own subscriptions — anyone else's is 404. A System Manager's
// subscription covers every owner's tasks in its scope.
import type { WebhookSubscription, WebhookSubscriptionPatch, WebhookSubscriptionSpec } from "../contract/alerts";
import { readBatch } from "../db/live-log";
import { getDb } from "../db/client";
import type { WebhookSubscriptionRow } from "../db/schema";
import {
  countSubscriptions,
  deleteSubscription,
  getDelivery,
  getSubscription,
  insertDeliveries,
  insertSubscription,
  listSubscriptions,
  updateSubscription,
} from "../db/webhooks";
import { newSigningSecret } from "../remote/signing";
import type { SubscriptionScope } from "../shared/alert-sets";
import { conflict, invalid, notFound } from "../shared/errors";
import { newId } from "../shared/ids";
import { fromJson, toJson } from "../shared/json";
import { canSee, hasAnyRole, isSystemManager, type User } from "../shared/user";
import { MethodResolver } from "../tasks/resolve";
import { sendDeliveries } from "./deliver";
import { checkedDestination } from "./destination";
import { seal } from "./sealed";
import { forgetSubscriptions } from "./subscription-cache";

const iso = (ms: number) => new Date(ms).toISOString();

/** Subscriptions one user may hold (every log write matches ended tasks against all of them). */
export const MAX_SUBSCRIPTIONS_PER_USER = 50;

export function subscriptionJson(row: WebhookSubscriptionRow): WebhookSubscription {
  return {
    id: row.id,
    owner: row.owner,
    scope: row.scope,
    method: row.scope === "method" ? row.scopeValue : null,
    scope_owner: row.scope === "owner" ? row.scopeValue : null,
    batch_id: row.scope === "batch" ? row.scopeValue : null,
    all_owners: row.allOwners,
    events: fromJson(row.events),
    url_origin: row.urlOrigin,
    description: row.description,
    enabled: row.enabled,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** True when `user` may see tasks of `method` (may enqueue it; System Managers: it exists). */
export async function methodVisible(env: Env, user: User, method: string): Promise<boolean> {
  try {
    const resolved = (await MethodResolver.load(env, [method])).method(method);
    return hasAnyRole(user, resolved.roles);
  } catch {
    return false;
  }
}

/** The scope a spec names (exactly one of method, owner, batch_id), checked against what the user may see. */
async function scopeOf(
  env: Env,
  user: User,
  spec: WebhookSubscriptionSpec,
): Promise<readonly [SubscriptionScope, string]> {
  const given = (
    [
      ["method", spec.method],
      ["owner", spec.owner],
      ["batch", spec.batch_id],
    ] as const
  ).filter((s): s is readonly [SubscriptionScope, string] => s[1] !== undefined);
  const [only] = given;
  if (only === undefined || given.length > 1) {
    throw invalid("invalid_scope", "give exactly one of method, owner and batch_id", [
      { path: "method", message: "exactly one of method, owner, batch_id" },
    ]);
  }
  const [scope, value] = only;
  if (scope === "method" && !(await methodVisible(env, user, value))) throw notFound(`method ${value}`);
  if (scope === "owner" && !canSee(user, value)) throw notFound(`owner ${value}`);
  if (scope === "batch") {
    const batch = await readBatch(getDb(env), value);
    if (batch === null || !canSee(user, batch.owner)) throw notFound(`batch ${value}`);
  }
  return only;
}

/** Creates a subscription; its signing secret comes back this once. */
export async function createSubscription(
  env: Env,
  user: User,
  spec: WebhookSubscriptionSpec,
  now = Date.now(),
): Promise<{ row: WebhookSubscriptionRow; secret: string }> {
  const [scope, scopeValue] = await scopeOf(env, user, spec);
  const destination = checkedDestination(env, spec.url);
  if ((await countSubscriptions(getDb(env), user.name)) >= MAX_SUBSCRIPTIONS_PER_USER) {
    throw conflict(
      `you have ${MAX_SUBSCRIPTIONS_PER_USER} webhook subscriptions, the most one user may hold; delete one first`,
      { limit: MAX_SUBSCRIPTIONS_PER_USER },
      "too_many_subscriptions",
    );
  }
  const id = `whs_${newId(now)}`;
  const secret = newSigningSecret();
  const row: WebhookSubscriptionRow = {
    id,
    owner: user.name,
    allOwners: isSystemManager(user),
    scope,
    scopeValue,
    events: toJson([...new Set(spec.events)]),
    urlSealed: await seal(env, `subscription:${id}`, "url", destination.url),
    urlOrigin: destination.origin,
    signingSecret: await seal(env, `subscription:${id}`, "signing", secret),
    description: spec.description ?? null,
    enabled: spec.enabled,
    createdAt: now,
    updatedAt: now,
  };
  await insertSubscription(getDb(env), row);
  forgetSubscriptions();
  return { row, secret };
}

/** A subscription the user may see, else 404. */
export async function visibleSubscription(env: Env, user: User, id: string): Promise<WebhookSubscriptionRow> {
  const row = await getSubscription(getDb(env), id);
  if (row === null || !canSee(user, row.owner)) throw notFound(`webhook subscription ${id}`);
  return row;
}

/** The user's subscriptions (a System Manager's: everyone's). */
export function subscriptionsOf(env: Env, user: User): Promise<WebhookSubscriptionRow[]> {
  return listSubscriptions(getDb(env), isSystemManager(user) ? null : user.name);
}

export async function changeSubscription(
  env: Env,
  user: User,
  id: string,
  patch: WebhookSubscriptionPatch,
  now = Date.now(),
): Promise<WebhookSubscriptionRow> {
  await visibleSubscription(env, user, id);
  const changes: Partial<WebhookSubscriptionRow> = { updatedAt: now };
  if (patch.url !== undefined) {
    const destination = checkedDestination(env, patch.url);
    changes.urlSealed = await seal(env, `subscription:${id}`, "url", destination.url);
    changes.urlOrigin = destination.origin;
  }
  if (patch.events !== undefined) changes.events = toJson([...new Set(patch.events)]);
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.enabled !== undefined) changes.enabled = patch.enabled;
  const row = await updateSubscription(getDb(env), id, changes);
  if (row === null) throw notFound(`webhook subscription ${id}`);
  forgetSubscriptions();
  return row;
}

export async function removeSubscription(env: Env, user: User, id: string): Promise<void> {
  await visibleSubscription(env, user, id);
  await deleteSubscription(getDb(env), id);
  forgetSubscriptions();
}

/** Sends a `webhook.test` event to the subscription now (one attempt; retried like any delivery). */
export async function testSubscription(env: Env, user: User, id: string, now = Date.now()) {
  const row = await visibleSubscription(env, user, id);
  const deliveryId = `msg_${newId(now)}`;
  const payload = JSON.stringify({
    type: "webhook.test",
    timestamp: iso(now),
    data: { subscription_id: row.id, message: "a test event from Switchyard: this subscription works" },
  });
  const db = getDb(env);
  await insertDeliveries(
    db,
    [
      {
        id: deliveryId,
        source: "subscription",
        targetId: row.id,
        owner: row.owner,
        eventType: "webhook.test",
        incidentId: null,
        payload,
      },
    ],
    now,
  );
  await sendDeliveries(env, [deliveryId], now);
  const delivery = await getDelivery(db, deliveryId);
  if (delivery === null) throw notFound(`delivery ${deliveryId}`);
  return delivery;
}
