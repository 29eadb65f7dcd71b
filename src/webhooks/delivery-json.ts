// A delivery as the API shows it (the delivery log of channels and subscriptions).
import type { WebhookDelivery } from "../contract/alerts";
import type { WebhookDeliveryRow } from "../db/schema";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function deliveryJson(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    target_id: row.targetId,
    event_type: row.eventType,
    incident_id: row.incidentId,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" ? iso(row.nextAttemptAt) : null,
    last_attempt_at: iso(row.lastAttemptAt),
    response_status: row.responseStatus,
    last_error: row.lastError,
    created_at: new Date(row.createdAt).toISOString(),
    delivered_at: iso(row.deliveredAt),
    payload: JSON.parse(row.payload) as unknown,
  };
}
