// Closed sets of alerts and completion webhooks (each mirrored by a SQL CHECK in migrations/0018).

/** What an alert rule watches. */
export const ALERT_KINDS = [
  "failure_rate",
  "oldest_waiting",
  "schedule_overdue",
  "schedule_missed",
  "remote_auth",
  "dead_letters",
  "dispatcher_suspended",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Where a notice goes. */
export const CHANNEL_KINDS = ["webhook", "slack", "email"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const INCIDENT_STATES = ["firing", "resolved"] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** What a completion webhook subscription covers: one method, one owner's tasks, or one batch. */
export const SUBSCRIPTION_SCOPES = ["method", "owner", "batch"] as const;
export type SubscriptionScope = (typeof SUBSCRIPTION_SCOPES)[number];

/** Completion events a subscription can ask for. `task.failed` is a failure with no retry left. */
export const WEBHOOK_EVENTS = ["task.finished", "task.failed", "task.canceled", "batch.done"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const DELIVERY_SOURCES = ["alert", "subscription"] as const;
export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The windows a rule may look back over, by name (anything else is refused). */
export const ALERT_WINDOWS = { "5m": 300, "15m": 900, "30m": 1_800, "1h": 3_600, "6h": 21_600, "24h": 86_400 } as const;
export type AlertWindow = keyof typeof ALERT_WINDOWS;

/** The window's name for a length in seconds (rules store seconds). */
export function windowName(seconds: number): AlertWindow | null {
  const entry = Object.entries(ALERT_WINDOWS).find(([, s]) => s === seconds);
  return entry === undefined ? null : (entry[0] as AlertWindow);
}

/** The owner recorded on alert deliveries (only System Managers read them). */
export const ALERTS_OWNER = "Administrator";
