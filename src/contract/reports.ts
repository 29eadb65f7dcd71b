// The API's contract for prepared reports: a report's definition (filters, columns), what starting a
// job takes, and a job's status.
import { z } from "zod";
import { ROLES } from "../shared/states";
import { Progress } from "./tasks";

export const ReportColumn = z.object({
  fieldname: z.string(),
  label: z.string(),
  fieldtype: z.string(),
  options: z.string().optional(),
  width: z.number().optional(),
});

export const Report = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    roles: z.array(z.enum(ROLES)),
    can_run: z.boolean(),
    filters_schema: z.unknown(),
    columns: z.array(ReportColumn),
  })
  .meta({ id: "Report" });

export const ReportJobStart = z.strictObject({
  filters: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ example: { rows: 1000 } }),
  fresh: z.boolean().optional().meta({
    description:
      "true: do not reuse a finished job with the same filters (Frappe's Rebuild); an identical job still running is shared",
  }),
});

export const ReportJob = z
  .object({
    job_id: z.string(),
    report: z.string(),
    owner: z.string(),
    filters: z.unknown(),
    status: z.enum(["Queued", "Started", "Completed", "Error"]),
    task_status: z.string().nullable(),
    reused: z
      .boolean()
      .optional()
      .meta({ description: "starting a job only: true when an identical running or recent job was returned" }),
    reused_from: z.string().nullable().optional().meta({
      description: "starting a job only: when the reused job was started (null for a new job)",
    }),
    progress: Progress.nullable(),
    row_count: z.number().nullable(),
    bytes: z.number().nullable(),
    error: z.string().nullable(),
    created_at: z.string().nullable(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    time_taken: z.number().nullable(),
    expires_at: z.string().nullable(),
    links: z.object({ self: z.string(), result: z.string(), cancel: z.string(), task: z.string() }),
  })
  .meta({ id: "ReportJob" });
