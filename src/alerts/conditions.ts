// Each rule kind's condition: which subjects fire now, with the value, when the evidence starts
// and a one-line summary. Pure over the facts (facts.ts gathers them), so every kind is tested
// on plain numbers.
import type { AlertRuleRow } from "../db/schema";
import { windowName } from "../shared/alert-sets";

/** A subject that fires. */
export interface Firing {
  /** The method, schedule or remote target ("" for the dispatcher). */
  subject: string;
  value: number;
  /** When the incident starts: the evidence's own time (e.g. the first failure in the window). */
  startedAt: number;
  summary: string;
}

/** The facts a rule reads (only those its kind needs are filled in). */
export interface RuleFacts {
  now: number;
  failures?: Map<string, { failed: number; firstAt: number; deadLettered: number }>;
  ended?: Map<string, number>;
  oldestPending?: Map<string, number>;
  overdue?: { name: string; nextFireAt: number | null }[];
  missed?: Map<string, { missed: number; firstAt: number }>;
  authFailed?: { name: string; lastErrorAt: number | null }[];
  dispatcher?: { enabled: boolean; updatedAt: number | null };
}

type Rule = Pick<AlertRuleRow, "kind" | "subject" | "threshold" | "windowS" | "minTasks">;

const covered = (rule: Rule, subject: string) => rule.subject === null || rule.subject === subject;
const seconds = (ms: number) => Math.round(ms / 1000);

/** The subjects `rule` fires for, given `facts`. */
export function firingSubjects(rule: Rule, facts: RuleFacts): Firing[] {
  const out: Firing[] = [];
  const window = windowName(rule.windowS) ?? `${rule.windowS}s`;
  switch (rule.kind) {
    case "failure_rate":
      for (const [method, f] of facts.failures ?? []) {
        if (!covered(rule, method)) continue;
        const ended = Math.max(facts.ended?.get(method) ?? 0, f.failed);
        const rate = f.failed / ended;
        if (ended >= rule.minTasks && rate >= rule.threshold) {
          out.push({
            subject: method,
            value: rate,
            startedAt: f.firstAt,
            summary: `${f.failed} of ${ended} tasks that ended in the last ${window} failed (${Math.round(rate * 100)}%)`,
          });
        }
      }
      break;
    case "dead_letters":
      for (const [method, f] of facts.failures ?? []) {
        if (!covered(rule, method) || f.deadLettered < rule.threshold || f.deadLettered === 0) continue;
        out.push({
          subject: method,
          value: f.deadLettered,
          startedAt: f.firstAt,
          summary: `${f.deadLettered} dead-lettered attempts in the last ${window}`,
        });
      }
      break;
    case "oldest_waiting":
      for (const [method, oldest] of facts.oldestPending ?? []) {
        const age = facts.now - oldest;
        if (!covered(rule, method) || age < rule.threshold * 1000) continue;
        out.push({
          subject: method,
          value: seconds(age),
          startedAt: oldest + rule.threshold * 1000,
          summary: `the oldest waiting task has waited ${seconds(age)} s (threshold ${rule.threshold} s)`,
        });
      }
      break;
    case "schedule_overdue":
      for (const s of facts.overdue ?? []) {
        if (!covered(rule, s.name) || s.nextFireAt === null) continue;
        const late = facts.now - s.nextFireAt;
        if (late < rule.threshold * 1000) continue;
        out.push({
          subject: s.name,
          value: seconds(late),
          startedAt: s.nextFireAt + rule.threshold * 1000,
          summary: `the schedule's next run is ${seconds(late)} s overdue`,
        });
      }
      break;
    case "schedule_missed":
      for (const [name, m] of facts.missed ?? []) {
        if (!covered(rule, name) || m.missed < Math.max(1, rule.threshold)) continue;
        out.push({
          subject: name,
          value: m.missed,
          startedAt: m.firstAt,
          summary: `${m.missed} slots missed in the last ${window}`,
        });
      }
      break;
    case "remote_auth":
      for (const t of facts.authFailed ?? []) {
        if (!covered(rule, t.name)) continue;
        out.push({
          subject: t.name,
          value: 1,
          startedAt: t.lastErrorAt ?? facts.now,
          summary: "the remote target refuses our credentials",
        });
      }
      break;
    case "dispatcher_suspended": {
      const d = facts.dispatcher;
      if (d === undefined || d.enabled || d.updatedAt === null) break;
      const off = facts.now - d.updatedAt;
      if (off < rule.threshold * 60_000) break;
      out.push({
        subject: "",
        value: Math.floor(off / 60_000),
        startedAt: d.updatedAt + rule.threshold * 60_000,
        summary: `the dispatcher has been suspended for ${Math.floor(off / 60_000)} min`,
      });
      break;
    }
  }
  return out;
}
