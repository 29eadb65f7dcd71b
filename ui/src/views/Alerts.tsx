// The Alerts page (System Manager): rules, channels, the incidents they opened and the delivery
// log of their notices. Rules are evaluated by the minute cron; a page open here re-reads the
// incidents and deliveries every 15 s.
import type { AlertChannel, AlertIncident, AlertRule, WebhookDelivery } from "../../../src/contract/alerts";
import { Empty, ErrorBox } from "../components/States";
import { formatShort } from "../format";
import { useInterval, useResource } from "../hooks";
import type { Page } from "../types";
import { AlertChannels, deliveryOutcome } from "./AlertChannels";
import { AlertRules } from "./AlertRules";

export function Alerts() {
  const rules = useResource<Page<AlertRule>>("/api/v1/alerts/rules");
  const channels = useResource<Page<AlertChannel>>("/api/v1/alerts/channels");
  const incidents = useResource<Page<AlertIncident>>("/api/v1/alerts/incidents?limit=50");
  const deliveries = useResource<Page<WebhookDelivery>>("/api/v1/alerts/deliveries?limit=50");
  const refresh = () => {
    void incidents.reload();
    void deliveries.reload();
    void rules.reload();
  };
  useInterval(refresh, 15_000);
  const ruleName = (id: string) => rules.data?.data.find((r) => r.id === id)?.name ?? id;
  const channelName = (id: string) => channels.data?.data.find((c) => c.id === id)?.name ?? id;

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <AlertRules rules={rules} channels={channels} onChange={refresh} />
      <AlertChannels channels={channels} onChange={refresh} />
      <section aria-labelledby="incidents-title" class="card">
        <h2 id="incidents-title">Incidents</h2>
        {incidents.error ? <ErrorBox error={incidents.error} /> : null}
        {incidents.data && incidents.data.data.length === 0 ? <Empty>No incidents.</Empty> : null}
        {incidents.data && incidents.data.data.length > 0 ? (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th>Subject</th>
                  <th>State</th>
                  <th>Since</th>
                  <th>Resolved</th>
                  <th>Summary</th>
                </tr>
              </thead>
              <tbody>
                {incidents.data.data.map((i) => (
                  <tr key={i.id} data-incident={i.id}>
                    <td>{ruleName(i.rule_id)}</td>
                    <td>{i.subject || "—"}</td>
                    <td>{i.state}</td>
                    <td>{formatShort(i.started_at)}</td>
                    <td>{i.resolved_at ? formatShort(i.resolved_at) : ""}</td>
                    <td>{i.summary}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <section aria-labelledby="deliveries-title" class="card">
        <h2 id="deliveries-title">Deliveries</h2>
        {deliveries.error ? <ErrorBox error={deliveries.error} /> : null}
        {deliveries.data && deliveries.data.data.length === 0 ? <Empty>No notices sent yet.</Empty> : null}
        {deliveries.data && deliveries.data.data.length > 0 ? (
          <DeliveryTable rows={deliveries.data.data} targetName={channelName} />
        ) : null}
      </section>
    </section>
  );
}

/** A delivery log (shared with the webhook subscriptions page). */
export function DeliveryTable({ rows, targetName }: { rows: WebhookDelivery[]; targetName: (id: string) => string }) {
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            <th>Event</th>
            <th>To</th>
            <th>Outcome</th>
            <th>Attempts</th>
            <th>Created</th>
            <th>webhook-id</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id} data-delivery={d.id}>
              <td>{d.event_type}</td>
              <td>{targetName(d.target_id)}</td>
              <td data-testid="delivery-outcome">
                {deliveryOutcome(d)}
                {d.next_attempt_at ? ` (next ${formatShort(d.next_attempt_at)})` : ""}
              </td>
              <td>{d.attempts}</td>
              <td>{formatShort(d.created_at)}</td>
              <td class="mono">{d.id}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
