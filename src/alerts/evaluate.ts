// The minute's alert evaluation: every enabled rule's condition is checked against the facts; a
// subject that starts firing opens an incident (once: a second evaluation finds it open) and its
// channels get one firing notice; an open incident whose condition no longer holds resolves, with
// one resolved notice. Muted rules keep their incidents but send nothing; a disabled rule's open
// incidents are closed quietly. A rule whose facts cannot be read this minute is left as it was.
import { getDb } from "../db/client";
import { closeIncidentsOf, firingIncidents, listRules, openIncident, resolveIncident } from "../db/alerts";
import type { AlertIncidentRow, AlertRuleRow } from "../db/schema";
import { insertDeliveries, type NewDelivery } from "../db/webhooks";
import { fromJson } from "../shared/json";
import { newId } from "../shared/ids";
import { describeError, log } from "../shared/log";
import { sendDeliveries } from "../webhooks/deliver";
import { firingSubjects } from "./conditions";
import { FactReader } from "./facts";
import { incidentDeliveries } from "./notices";

/** What one evaluation did. */
export interface AlertRun {
  opened: AlertIncidentRow[];
  resolved: AlertIncidentRow[];
  notices: number;
}

const muted = (rule: AlertRuleRow, now: number) => rule.mutedUntil !== null && rule.mutedUntil > now;

/** Evaluates every rule at `now`, records incidents and sends their notices. */
export async function evaluateAlerts(env: Env, now = Date.now()): Promise<AlertRun> {
  const db = getDb(env);
  const run: AlertRun = { opened: [], resolved: [], notices: 0 };
  const rules = await listRules(db);
  if (rules.length === 0) return run;
  const open = await firingIncidents(db);
  const enabled = rules.filter((r) => r.enabled);
  const disabledIds = new Set(rules.filter((r) => !r.enabled).map((r) => r.id));
  await closeIncidentsOf(db, [...new Set(open.filter((i) => disabledIds.has(i.ruleId)).map((i) => i.ruleId))], now);
  const facts = new FactReader(env, db, now);
  const deliveries: NewDelivery[] = [];
  for (const rule of enabled) {
    let firing;
    try {
      firing = firingSubjects(rule, await facts.forRule(rule));
    } catch (error) {
      log.error("could not evaluate an alert rule; it is left as it was", { rule: rule.id, ...describeError(error) });
      continue;
    }
    const channels = fromJson(rule.channels);
    const openHere = new Map(open.filter((i) => i.ruleId === rule.id).map((i) => [i.subject, i]));
    for (const f of firing) {
      if (openHere.has(f.subject)) continue;
      const incident = await openIncident(db, {
        id: `inc_${newId(now)}`,
        ruleId: rule.id,
        subject: f.subject,
        state: "firing",
        startedAt: Math.min(f.startedAt, now),
        detectedAt: now,
        resolvedAt: null,
        value: f.value,
        summary: f.summary,
      });
      if (incident === null) continue;
      run.opened.push(incident);
      if (!muted(rule, now)) deliveries.push(...(await incidentDeliveries(rule, incident, channels, now)));
    }
    const still = new Set(firing.map((f) => f.subject));
    for (const [subject, incident] of openHere) {
      if (still.has(subject)) continue;
      const resolved = await resolveIncident(db, incident.id, now);
      if (resolved === null) continue;
      run.resolved.push(resolved);
      if (!muted(rule, now)) deliveries.push(...(await incidentDeliveries(rule, resolved, channels, now)));
    }
  }
  if (deliveries.length > 0) {
    await insertDeliveries(db, deliveries, now);
    await sendDeliveries(
      env,
      deliveries.map((d) => d.id),
      now,
    );
  }
  run.notices = deliveries.length;
  return run;
}
