// The console's pages: one entry and one view file each.
import type { ComponentType } from "preact";
import { Alerts } from "./views/Alerts";
import { ApiKeys } from "./views/ApiKeys";
import { BatchDetail } from "./views/BatchDetail";
import { BatchList } from "./views/BatchList";
import { Methods } from "./views/Methods";
import { Overview } from "./views/Overview";
import { RemoteTargetDetail } from "./views/RemoteTargetDetail";
import { RemoteTargetForm } from "./views/RemoteTargetForm";
import { RemoteTargets } from "./views/RemoteTargets";
import { ReportDetail } from "./views/ReportDetail";
import { Reports } from "./views/Reports";
import { ScheduleDetail } from "./views/ScheduleDetail";
import { ScheduleForm } from "./views/ScheduleForm";
import { ScheduledJobs } from "./views/ScheduledJobs";
import { Settings } from "./views/Settings";
import { TaskDetail } from "./views/TaskDetail";
import { TaskList } from "./views/TaskList";
import { Webhooks } from "./views/Webhooks";

export interface ViewProps {
  /** Path parameters, e.g. { name } for /tasks/:name. */
  params: Record<string, string>;
  /** The hash's query (filters), e.g. status=Failed. */
  query: URLSearchParams;
}

export interface Route {
  pattern: string;
  title: string;
  view: ComponentType<ViewProps>;
  /** Shown in the navigation under this label. */
  nav?: string;
  /** System Manager pages: hidden from others (and refused by the API anyway). */
  admin?: boolean;
}

/** Every page, in navigation order. */
export const ROUTES: Route[] = [
  { pattern: "/overview", title: "Overview", view: Overview, nav: "Overview", admin: true },
  { pattern: "/tasks", title: "Tasks", view: TaskList, nav: "Tasks" },
  { pattern: "/tasks/:name", title: "Task", view: TaskDetail },
  { pattern: "/batches", title: "Batches", view: BatchList, nav: "Batches" },
  { pattern: "/batches/:id", title: "Batch", view: BatchDetail },
  { pattern: "/methods", title: "Methods", view: Methods, nav: "Methods" },
  { pattern: "/scheduled-jobs", title: "Scheduled jobs", view: ScheduledJobs, nav: "Schedules" },
  // "+new": schedule names cannot contain "+", so no schedule's page is shadowed.
  { pattern: "/scheduled-jobs/+new", title: "New scheduled job", view: ScheduleForm },
  { pattern: "/scheduled-jobs/:name", title: "Scheduled job", view: ScheduleDetail },
  { pattern: "/scheduled-jobs/:name/edit", title: "Edit scheduled job", view: ScheduleForm },
  { pattern: "/reports", title: "Reports", view: Reports, nav: "Reports" },
  { pattern: "/reports/:name", title: "Report", view: ReportDetail },
  { pattern: "/remote-targets", title: "Remote targets", view: RemoteTargets, nav: "Remote", admin: true },
  // "+new": target names are a-z 0-9 _ -, so no target's page is shadowed.
  { pattern: "/remote-targets/+new", title: "New remote target", view: RemoteTargetForm, admin: true },
  { pattern: "/remote-targets/:name", title: "Remote target", view: RemoteTargetDetail, admin: true },
  { pattern: "/remote-targets/:name/edit", title: "Edit remote target", view: RemoteTargetForm, admin: true },
  { pattern: "/settings", title: "Settings", view: Settings, nav: "Settings", admin: true },
  { pattern: "/api-keys", title: "API keys", view: ApiKeys, nav: "API keys", admin: true },
  { pattern: "/alerts", title: "Alerts", view: Alerts, nav: "Alerts", admin: true },
  { pattern: "/webhooks", title: "Webhooks", view: Webhooks, nav: "Webhooks" },
];

/** Where "/" goes: admins land on the Overview, everyone else on their tasks. */
export const homePath = (admin: boolean) => (admin ? "/overview" : "/tasks");
