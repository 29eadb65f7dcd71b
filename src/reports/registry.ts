// The reports this deployment offers. Add new report definitions to the list here.
import type { ResolvedMethod } from "../methods/registry";
import { demoNumbers } from "./builtin/demo-numbers";
import { failedTasks } from "./builtin/failed-tasks";
import { hourlyThroughput } from "./builtin/hourly-throughput";
import { tasksByMethodAndStatus } from "./builtin/tasks-by-method-and-status";
import type { ReportDefinition } from "./define";
import { reportMethod } from "./run";

const reports = [tasksByMethodAndStatus, failedTasks, hourlyThroughput, demoNumbers] as ReportDefinition[];
const byName = new Map(reports.map((r) => [r.name, r]));

const visible = (report: ReportDefinition, env: { DEMO_METHODS?: string }) => !report.demo || env.DEMO_METHODS === "on";

/** The report, or null when unknown or hidden (local-only reports where DEMO_METHODS is not "on"). */
export function getReport(name: string, env: { DEMO_METHODS?: string }): ReportDefinition | null {
  const report = byName.get(name);
  return report && visible(report, env) ? report : null;
}

/** Every visible report, in registration order. */
export function listReports(env: { DEMO_METHODS?: string }): ReportDefinition[] {
  return reports.filter((r) => visible(r, env));
}

/** The task methods (`report:<name>`) that run the reports; catalog/index.ts registers them. */
export const reportMethods: readonly ResolvedMethod[] = reports.map(reportMethod);
