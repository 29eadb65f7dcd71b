// The API's request and response types, derived from the zod schemas the server validates with
// (src/contract/ of the Switchyard repository) — never written by hand, so the client, the console
// and the server cannot disagree. Type-only imports: nothing of zod ends up in the client's code.
import type { z } from "zod";
import type * as access from "../../../src/contract/access";
import type * as batches from "../../../src/contract/batches";
import type * as methods from "../../../src/contract/methods";
import type * as ops from "../../../src/contract/ops";
import type * as remote from "../../../src/contract/remote-targets";
import type * as reports from "../../../src/contract/reports";
import type * as schedules from "../../../src/contract/schedules";
import type * as tasks from "../../../src/contract/tasks";
import type { TaskEvent } from "../../../src/events/event-types";

export type { TaskEvent };

/** A list answer: a page of items and the cursor of the next page (null: the last page). */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

// Tasks
export type Task = z.output<typeof tasks.Task>;
export type TaskStatus = Task["status"];
export type TaskSpec = z.input<typeof tasks.TaskSpec>;
export type TaskOptions = z.input<typeof tasks.TaskOptions>;
export type Waiting = z.output<typeof tasks.Waiting>;
export type TaskFilter = z.input<typeof tasks.TaskFilter>;
export type TaskCounts = z.output<typeof tasks.TaskCounts>;
export type BulkEnqueueRequest = z.input<typeof tasks.BulkEnqueue>;
export type BulkEnqueueResult = z.output<typeof tasks.BulkCreated>;
export type BulkActionResult = z.output<typeof tasks.BulkActionResult>;

// Batches
export type BatchSummary = z.output<typeof batches.BatchSummary>;
export type Batch = z.output<typeof batches.Batch>;
export type RequeuedItems = z.output<typeof batches.RequeuedItems>;

// Methods and task types
export type MethodInfo = z.output<typeof methods.Method>;
export type TaskType = z.output<typeof methods.TaskType>;
export type TaskTypeChange = z.input<typeof methods.TaskTypeBody>;
/** Flow control as a task type (or defineTask) takes it: Inngest's option names (docs/flow-control.md). */
export type { FlowControl } from "../../../src/shared/flow";
export type FlowUsage = z.output<typeof methods.FlowUsage>;

// Operations
export type DispatcherState = z.output<typeof ops.DispatcherState>;
export type Ops = z.output<typeof ops.OpsSummary>;
export type Stats = z.output<typeof ops.Stats>;

// Reports
export type ReportColumn = z.output<typeof reports.ReportColumn>;
export type ReportInfo = z.output<typeof reports.Report>;
export type ReportJobStart = z.input<typeof reports.ReportJobStart>;
export type ReportJob = z.output<typeof reports.ReportJob>;

// Scheduled jobs
export type Schedule = z.output<typeof schedules.ScheduledJob>;
export type ScheduleSpec = z.input<typeof schedules.ScheduleSpec>;
export type ScheduleRun = z.output<typeof schedules.ScheduleRun>;
export type SchedulePreview = z.output<typeof schedules.SchedulePreview>;

// Access
export type Session = z.output<typeof access.Session>;
export type ApiKey = z.output<typeof access.ApiKey>;
export type NewApiKey = z.output<typeof access.NewApiKey>;
export type ApiKeyCreate = z.input<typeof access.ApiKeyCreate>;

// Remote targets
export type RemoteTarget = z.output<typeof remote.RemoteTarget>;
export type RemoteTargetWithSecret = z.output<typeof remote.RemoteTargetWithSecret>;
export type RemoteTargetSpec = z.input<typeof remote.RemoteTargetSpec>;
export type RemoteTargetTest = z.output<typeof remote.RemoteTargetTest>;
