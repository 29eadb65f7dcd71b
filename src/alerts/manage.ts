// Alert rules and channels (System Managers): create, read, edit, mute, delete, and "send test".
// A rule names what it watches by the field its kind takes (method, schedule or remote_target);
// naming one that does not exist, or a channel that does not exist, is a 400 naming the field.
import type {
  AlertChannel,
  AlertChannelPatch,
  AlertChannelSpec,
  AlertIncident,
  AlertRule,
  AlertRulePatch,
  AlertRuleSpec,
} from "../contract/alerts";
import {
  channelsIn,
  deleteChannel,
  deleteRule,
  getChannel,
  getRule,
  insertChannel,
  insertRule,
  rulesUsingChannel,
  updateChannel,
  updateRule,
} from "../db/alerts";
import { getDb } from "../db/client";
import { getTarget } from "../db/remote-targets";
import type { AlertChannelRow, AlertIncidentRow, AlertRuleRow } from "../db/schema";
import { getSchedule } from "../db/schedules";
import { getDelivery, insertDeliveries } from "../db/webhooks";
import { newSigningSecret } from "../remote/signing";
import { ALERT_WINDOWS, ALERTS_OWNER, windowName, type AlertKind } from "../shared/alert-sets";
import { conflict, invalid, notFound } from "../shared/errors";
import { newId } from "../shared/ids";
import { fromJson, toJson } from "../shared/json";
import type { User } from "../shared/user";
import { sendDeliveries } from "../webhooks/deliver";
import { checkedDestination } from "../webhooks/destination";
import { methodVisible } from "../webhooks/manage";
import { seal } from "../webhooks/sealed";
import { testNotice } from "./notices";

const iso = (ms: number) => new Date(ms).toISOString();

/** Which subject field each kind takes (null: none). */
const SUBJECT_FIELD: Record<AlertKind, "method" | "schedule" | "remote_target" | null> = {
  failure_rate: "method",
  oldest_waiting: "method",
  dead_letters: "method",
  schedule_overdue: "schedule",
  schedule_missed: "schedule",
  remote_auth: "remote_target",
  dispatcher_suspended: null,
};

/** The smallest threshold each kind takes, and the largest (failure_rate is a fraction). */
const THRESHOLD: Record<AlertKind, [number, number]> = {
  failure_rate: [0.000001, 1],
  oldest_waiting: [1, 1e9],
  dead_letters: [1, 1e9],
  schedule_overdue: [0, 1e9],
  schedule_missed: [1, 1e9],
  remote_auth: [0, 1e9],
  dispatcher_suspended: [1, 1e9],
};

export function ruleJson(row: AlertRuleRow, firing = 0): AlertRule {
  const field = SUBJECT_FIELD[row.kind];
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    method: field === "method" ? row.subject : null,
    schedule: field === "schedule" ? row.subject : null,
    remote_target: field === "remote_target" ? row.subject : null,
    threshold: row.threshold,
    window: windowName(row.windowS) ?? `${row.windowS}s`,
    min_tasks: row.minTasks,
    channels: fromJson(row.channels),
    enabled: row.enabled,
    muted_until: row.mutedUntil === null ? null : iso(row.mutedUntil),
    firing,
    created_by: row.createdBy,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export function channelJson(row: AlertChannelRow): AlertChannel {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url_origin: row.urlOrigin,
    email: row.emailTo,
    enabled: row.enabled,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export function incidentJson(row: AlertIncidentRow): AlertIncident {
  return {
    id: row.id,
    rule_id: row.ruleId,
    subject: row.subject,
    state: row.state,
    started_at: iso(row.startedAt),
    detected_at: iso(row.detectedAt),
    resolved_at: row.resolvedAt === null ? null : iso(row.resolvedAt),
    value: row.value,
    summary: row.summary,
  };
}

type RuleInput = Omit<AlertRulePatch, "name"> & { kind: AlertKind };

/** The rule's subject from its input: the field its kind takes, checked to exist; other subject fields refused. */
async function subjectOf(env: Env, user: User, input: RuleInput): Promise<string | null | undefined> {
  const field = SUBJECT_FIELD[input.kind];
  for (const other of ["method", "schedule", "remote_target"] as const) {
    if (other !== field && input[other] !== undefined && input[other] !== null) {
      throw invalid("invalid_field", `${other}: a ${input.kind} rule does not take ${other}`, [
        { path: other, message: `not for ${input.kind}` },
      ]);
    }
  }
  if (field === null) return null;
  const value = input[field];
  if (value === undefined || value === null) return value;
  const db = getDb(env);
  const exists =
    field === "method"
      ? await methodVisible(env, user, value)
      : field === "schedule"
        ? (await getSchedule(db, value)) !== null
        : (await getTarget(db, value)) !== null;
  if (!exists) {
    throw invalid("unknown_subject", `${field}: no such ${field.replace("_", " ")} ${value}`, [
      { path: field, message: "not found" },
    ]);
  }
  return value;
}

function checkThreshold(kind: AlertKind, threshold: number): void {
  const [min, max] = THRESHOLD[kind];
  if (threshold < min || threshold > max) {
    throw invalid("invalid_threshold", `threshold: a ${kind} threshold is between ${min} and ${max}`, [
      { path: "threshold", message: `between ${min} and ${max}` },
    ]);
  }
}

async function checkChannels(env: Env, ids: readonly string[]): Promise<void> {
  const found = new Set((await channelsIn(getDb(env), ids)).map((c) => c.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw invalid("unknown_channel", `channels: no such channel ${missing.join(", ")}`, [
      { path: "channels", message: "not found" },
    ]);
  }
}

export async function createRule(env: Env, user: User, spec: AlertRuleSpec, now = Date.now()): Promise<AlertRuleRow> {
  const subject = await subjectOf(env, user, spec);
  checkThreshold(spec.kind, spec.threshold);
  await checkChannels(env, spec.channels);
  const row: AlertRuleRow = {
    id: `alr_${newId(now)}`,
    name: spec.name,
    kind: spec.kind,
    subject: subject ?? null,
    threshold: spec.threshold,
    windowS: ALERT_WINDOWS[spec.window],
    minTasks: spec.min_tasks,
    channels: toJson([...new Set(spec.channels)]),
    enabled: spec.enabled,
    mutedUntil: spec.muted_until ? Date.parse(spec.muted_until) : null,
    createdBy: user.name,
    createdAt: now,
    updatedAt: now,
  };
  await insertRule(getDb(env), row);
  return row;
}

export async function visibleRule(env: Env, id: string): Promise<AlertRuleRow> {
  const row = await getRule(getDb(env), id);
  if (row === null) throw notFound(`alert rule ${id}`);
  return row;
}

export async function changeRule(
  env: Env,
  user: User,
  id: string,
  patch: AlertRulePatch,
  now = Date.now(),
): Promise<AlertRuleRow> {
  const rule = await visibleRule(env, id);
  const changes: Partial<AlertRuleRow> = { updatedAt: now };
  const subject = await subjectOf(env, user, { ...patch, kind: rule.kind });
  if (subject !== undefined) changes.subject = subject;
  if (patch.threshold !== undefined) {
    checkThreshold(rule.kind, patch.threshold);
    changes.threshold = patch.threshold;
  }
  if (patch.channels !== undefined) {
    await checkChannels(env, patch.channels);
    changes.channels = toJson([...new Set(patch.channels)]);
  }
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.window !== undefined) changes.windowS = ALERT_WINDOWS[patch.window];
  if (patch.min_tasks !== undefined) changes.minTasks = patch.min_tasks;
  if (patch.enabled !== undefined) changes.enabled = patch.enabled;
  if (patch.muted_until !== undefined)
    changes.mutedUntil = patch.muted_until === null ? null : Date.parse(patch.muted_until);
  const row = await updateRule(getDb(env), id, changes);
  if (row === null) throw notFound(`alert rule ${id}`);
  return row;
}

export async function removeRule(env: Env, id: string): Promise<void> {
  await visibleRule(env, id);
  await deleteRule(getDb(env), id);
}

/** The fields a channel of `kind` needs, checked; the URL normalised. */
function channelTarget(env: Env, kind: AlertChannelRow["kind"], url: string | undefined, email: string | undefined) {
  if (kind === "email") {
    if (email === undefined)
      throw invalid("missing_field", "email: an email channel needs email", [{ path: "email", message: "required" }]);
    if (url !== undefined)
      throw invalid("invalid_field", "url: an email channel takes no url", [{ path: "url", message: "not for email" }]);
    return { destination: null, email };
  }
  if (url === undefined)
    throw invalid("missing_field", `url: a ${kind} channel needs url`, [{ path: "url", message: "required" }]);
  if (email !== undefined)
    throw invalid("invalid_field", `email: a ${kind} channel takes no email`, [
      { path: "email", message: `not for ${kind}` },
    ]);
  return { destination: checkedDestination(env, url), email: null };
}

/** Creates a channel; a webhook channel's signing secret comes back this once. */
export async function createChannel(
  env: Env,
  user: User,
  spec: AlertChannelSpec,
  now = Date.now(),
): Promise<{ row: AlertChannelRow; secret: string | null }> {
  const { destination, email } = channelTarget(env, spec.kind, spec.url, spec.email);
  const id = `ach_${newId(now)}`;
  const secret = spec.kind === "webhook" ? newSigningSecret() : null;
  const owner = `channel:${id}` as const;
  const row: AlertChannelRow = {
    id,
    name: spec.name,
    kind: spec.kind,
    urlSealed: destination === null ? null : await seal(env, owner, "url", destination.url),
    urlOrigin: destination?.origin ?? null,
    emailTo: email,
    signingSecret: secret === null ? null : await seal(env, owner, "signing", secret),
    enabled: spec.enabled,
    createdBy: user.name,
    createdAt: now,
    updatedAt: now,
  };
  await insertChannel(getDb(env), row);
  return { row, secret };
}

export async function visibleChannel(env: Env, id: string): Promise<AlertChannelRow> {
  const row = await getChannel(getDb(env), id);
  if (row === null) throw notFound(`alert channel ${id}`);
  return row;
}

export async function changeChannel(env: Env, id: string, patch: AlertChannelPatch, now = Date.now()) {
  const channel = await visibleChannel(env, id);
  const changes: Partial<AlertChannelRow> = { updatedAt: now };
  if (channel.kind === "email") {
    if (patch.url !== undefined) channelTarget(env, "email", patch.url, patch.email);
    if (patch.email !== undefined) changes.emailTo = patch.email;
  } else {
    if (patch.email !== undefined) channelTarget(env, channel.kind, patch.url ?? "", patch.email);
    if (patch.url !== undefined) {
      const destination = checkedDestination(env, patch.url);
      changes.urlSealed = await seal(env, `channel:${id}`, "url", destination.url);
      changes.urlOrigin = destination.origin;
    }
  }
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.enabled !== undefined) changes.enabled = patch.enabled;
  const row = await updateChannel(getDb(env), id, changes);
  if (row === null) throw notFound(`alert channel ${id}`);
  return row;
}

/** Deletes a channel no rule uses (409 naming the rules otherwise). */
export async function removeChannel(env: Env, id: string): Promise<void> {
  await visibleChannel(env, id);
  const users = await rulesUsingChannel(getDb(env), id);
  if (users.length > 0) {
    throw conflict(
      `rules ${users.map((r) => r.name).join(", ")} send to this channel; take it out of them first`,
      { rules: users.map((r) => r.id) },
      "channel_in_use",
    );
  }
  await deleteChannel(getDb(env), id);
}

/** Sends a test notice to the channel now and returns its delivery (retried like any other if it failed). */
export async function testChannel(env: Env, id: string, now = Date.now()) {
  const channel = await visibleChannel(env, id);
  const deliveryId = `msg_${newId(now)}`;
  const db = getDb(env);
  await insertDeliveries(
    db,
    [
      {
        id: deliveryId,
        source: "alert",
        targetId: channel.id,
        owner: ALERTS_OWNER,
        eventType: "alert.test",
        incidentId: null,
        payload: testNotice(channel.name, now),
      },
    ],
    now,
  );
  await sendDeliveries(env, [deliveryId], now);
  const delivery = await getDelivery(db, deliveryId);
  if (delivery === null) throw notFound(`delivery ${deliveryId}`);
  return delivery;
}
