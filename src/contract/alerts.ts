// The API's contract for alerts and completion webhooks: rules, channels, incidents, deliveries
// and subscriptions — what they are asked to be and how they are shown (URLs as their origin only,
// signing secrets once, at creation).
import { z } from "zod";
import { ALERT_KINDS, ALERT_WINDOWS, CHANNEL_KINDS, WEBHOOK_EVENTS } from "../shared/alert-sets";

const Name = z.string().trim().min(1).max(100);
const Url = z.string().min(1).max(2048).meta({ example: "https://hooks.example.com/switchyard" });
const WindowName = z.enum(
  Object.keys(ALERT_WINDOWS) as [keyof typeof ALERT_WINDOWS, ...(keyof typeof ALERT_WINDOWS)[]],
);
const Id = z.string().min(1).max(64);

const ruleFields = {
  name: Name,
  kind: z.enum(ALERT_KINDS),
  method: z.string().min(1).max(300).nullable().optional().meta({
    description: "failure_rate, oldest_waiting, dead_letters: the method watched (omitted or null: every method)",
  }),
  schedule: z.string().min(1).max(100).nullable().optional().meta({
    description: "schedule_overdue, schedule_missed: the schedule watched (omitted or null: every schedule)",
  }),
  remote_target: z.string().min(1).max(40).nullable().optional().meta({
    description: "remote_auth: the remote target watched (omitted or null: every target)",
  }),
  threshold: z
    .number()
    .min(0)
    .max(1e9)
    .meta({
      description:
        "failure_rate: a fraction (0.5 = half the tasks that ended failed); oldest_waiting: seconds; schedule_overdue: " +
        "seconds late; schedule_missed and dead_letters: a count; dispatcher_suspended: minutes; remote_auth: ignored",
    }),
  window: WindowName.meta({ description: "failure_rate, dead_letters, schedule_missed: the look-back window" }),
  min_tasks: z.int().min(1).max(1_000_000).meta({ description: "failure_rate: fewer ended tasks never fire" }),
  channels: z.array(Id).max(20),
  enabled: z.boolean(),
  muted_until: z.iso.datetime({ offset: true }).nullable().meta({ description: "Notices are held back until then" }),
};

export const AlertRuleSpec = z.strictObject({
  ...ruleFields,
  window: ruleFields.window.default("15m"),
  min_tasks: ruleFields.min_tasks.default(1),
  channels: ruleFields.channels.default([]),
  enabled: ruleFields.enabled.default(true),
  muted_until: ruleFields.muted_until.optional(),
});
export type AlertRuleSpec = z.output<typeof AlertRuleSpec>;

export const AlertRulePatch = z.strictObject({
  name: ruleFields.name.optional(),
  method: ruleFields.method,
  schedule: ruleFields.schedule,
  remote_target: ruleFields.remote_target,
  threshold: ruleFields.threshold.optional(),
  window: ruleFields.window.optional(),
  min_tasks: ruleFields.min_tasks.optional(),
  channels: ruleFields.channels.optional(),
  enabled: ruleFields.enabled.optional(),
  muted_until: ruleFields.muted_until.optional(),
});
export type AlertRulePatch = z.output<typeof AlertRulePatch>;

export const AlertRule = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(ALERT_KINDS),
    method: z.string().nullable(),
    schedule: z.string().nullable(),
    remote_target: z.string().nullable(),
    threshold: z.number(),
    window: z.string(),
    min_tasks: z.number(),
    channels: z.array(z.string()),
    enabled: z.boolean(),
    muted_until: z.string().nullable(),
    firing: z.number().meta({ description: "Incidents of this rule firing now" }),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "AlertRule" });
export type AlertRule = z.output<typeof AlertRule>;

export const AlertChannelSpec = z.strictObject({
  name: Name,
  kind: z.enum(CHANNEL_KINDS),
  url: Url.optional().meta({ description: "webhook and slack: where notices are posted (https; write-only)" }),
  email: z.email().max(254).optional().meta({ description: "email: the recipient" }),
  enabled: z.boolean().default(true),
});
export type AlertChannelSpec = z.output<typeof AlertChannelSpec>;

export const AlertChannelPatch = z.strictObject({
  name: Name.optional(),
  url: Url.optional(),
  email: z.email().max(254).optional(),
  enabled: z.boolean().optional(),
});
export type AlertChannelPatch = z.output<typeof AlertChannelPatch>;

export const AlertChannel = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    url_origin: z.string().nullable().meta({ description: "The URL's origin (the URL itself is write-only)" }),
    email: z.string().nullable(),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "AlertChannel" });
export type AlertChannel = z.output<typeof AlertChannel>;

export const AlertChannelWithSecret = AlertChannel.extend({
  signing_secret: z.string().optional().meta({ description: "webhook channels: shown this once (whsec_…)" }),
});

export const AlertIncident = z
  .object({
    id: z.string(),
    rule_id: z.string(),
    subject: z.string(),
    state: z.enum(["firing", "resolved"]),
    started_at: z.string(),
    detected_at: z.string(),
    resolved_at: z.string().nullable(),
    value: z.number().nullable(),
    summary: z.string(),
  })
  .meta({ id: "AlertIncident" });
export type AlertIncident = z.output<typeof AlertIncident>;

export const WebhookDelivery = z
  .object({
    id: z.string().meta({ description: "The webhook-id header: the same for every attempt of this delivery" }),
    target_id: z.string(),
    event_type: z.string(),
    incident_id: z.string().nullable(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number(),
    next_attempt_at: z.string().nullable(),
    last_attempt_at: z.string().nullable(),
    response_status: z.number().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
    payload: z.unknown(),
  })
  .meta({ id: "WebhookDelivery" });
export type WebhookDelivery = z.output<typeof WebhookDelivery>;

export const WebhookSubscriptionSpec = z.strictObject({
  method: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .meta({ description: "Tasks of this method (yours, unless you are a System Manager)" }),
  owner: z
    .string()
    .min(1)
    .max(140)
    .optional()
    .meta({ description: "Tasks of this owner (yourself, unless you are a System Manager)" }),
  batch_id: z.string().min(1).max(100).optional().meta({ description: "Tasks of this batch, and the batch's end" }),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length),
  url: Url,
  description: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
});
export type WebhookSubscriptionSpec = z.output<typeof WebhookSubscriptionSpec>;

export const WebhookSubscriptionPatch = z.strictObject({
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).optional(),
  url: Url.optional(),
  description: z.string().max(200).nullable().optional(),
  enabled: z.boolean().optional(),
});
export type WebhookSubscriptionPatch = z.output<typeof WebhookSubscriptionPatch>;

export const WebhookSubscription = z
  .object({
    id: z.string(),
    owner: z.string(),
    scope: z.enum(["method", "owner", "batch"]),
    method: z.string().nullable(),
    scope_owner: z.string().nullable(),
    batch_id: z.string().nullable(),
    all_owners: z.boolean().meta({ description: "Made by a System Manager: covers every owner's tasks in scope" }),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    url_origin: z.string(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "WebhookSubscription" });
export type WebhookSubscription = z.output<typeof WebhookSubscription>;

export const WebhookSubscriptionWithSecret = WebhookSubscription.extend({
  signing_secret: z.string().optional().meta({ description: "Shown this once (whsec_…): verify deliveries with it" }),
});

export const SendTestResult = z.object({
  delivery: WebhookDelivery,
});
