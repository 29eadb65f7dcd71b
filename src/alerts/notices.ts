// An alert notice as stored and sent: the Standard Webhooks body `{ type, timestamp, data }` with
// type alert.firing, alert.resolved or alert.test (formats.ts turns it into Slack and email).
import type { AlertIncidentRow, AlertRuleRow } from "../db/schema";
import type { NewDelivery } from "../db/webhooks";
import { ALERTS_OWNER } from "../shared/alert-sets";
import type { AlertNoticeData } from "../webhooks/formats";
import { eventId } from "../webhooks/completion";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The notice of an incident's firing or resolution. */
export function incidentNotice(rule: AlertRuleRow, incident: AlertIncidentRow, now: number): string {
  const data: AlertNoticeData = {
    incident_id: incident.id,
    rule_id: rule.id,
    rule_name: rule.name,
    kind: rule.kind,
    subject: incident.subject,
    state: incident.state,
    summary: incident.summary,
    value: incident.value,
    threshold: rule.threshold,
    started_at: iso(incident.startedAt),
    detected_at: iso(incident.detectedAt),
    resolved_at: iso(incident.resolvedAt),
  };
  return JSON.stringify({ type: `alert.${incident.state}`, timestamp: new Date(now).toISOString(), data });
}

/** A test notice for a channel ("send test"). */
export function testNotice(channelName: string, now: number): string {
  const data: AlertNoticeData = {
    incident_id: null,
    rule_id: null,
    rule_name: `test of channel ${channelName}`,
    kind: "test",
    subject: "",
    state: "test",
    summary: "a test notice from Switchyard: this channel works",
    value: null,
    threshold: null,
    started_at: null,
    detected_at: iso(now),
    resolved_at: null,
  };
  return JSON.stringify({ type: "alert.test", timestamp: new Date(now).toISOString(), data });
}

/** One delivery per channel of `rule` for an incident's notice; its id is the same however often it is made. */
export async function incidentDeliveries(
  rule: AlertRuleRow,
  incident: AlertIncidentRow,
  channelIds: readonly string[],
  now: number,
): Promise<NewDelivery[]> {
  const payload = incidentNotice(rule, incident, now);
  return Promise.all(
    channelIds.map(async (channel) => ({
      id: await eventId([channel, incident.id, incident.state]),
      source: "alert" as const,
      targetId: channel,
      owner: ALERTS_OWNER,
      eventType: `alert.${incident.state}`,
      incidentId: incident.id,
      payload,
    })),
  );
}
