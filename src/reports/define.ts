// What a report is: defineReport({ name, filters, columns, roles, run }) and the types around it.
import type { z } from "zod";
import type { Column } from "../shared/report-column";
import type { Progress, Role } from "../shared/states";

/** A result row: values keyed by fieldname (missing fields are written as null). */
export type Row = Readonly<Record<string, unknown>>;

/** What `run` receives besides its filters. */
export interface ReportContext {
  /** The job id (also the task's name). */
  readonly jobId: string;
  /** Who started the job. */
  readonly owner: string;
  /** Aborted when the job is canceled or times out; the platform also stops reading rows then. */
  readonly signal: AbortSignal;
  readonly env: Env;
  /**
   * Reports progress. The platform reports the row count itself; a report that knows how many
   * rows it will yield can pass `{ total }` once, and a `description` for slow phases.
   */
  progress(progress: Progress): void;
  /** Appends a line to the job's debug log. */
  log(...parts: unknown[]): void;
}

/** A registered report. `S` is the zod schema of its filters. */
export interface ReportDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description?: string;
  /**
   * Typed filters (`z.number()`, `z.boolean()`, not `z.coerce`): a JSON body must send the right
   * types. Frappe's query-string endpoints convert text to the number or boolean a top-level
   * filter expects before parsing. The parsed output is stored as JSON and parsed again when the
   * job runs, so the schema must accept its own output.
   */
  readonly filters: S;
  readonly columns: readonly Column[];
  /** Roles that may run it (System Manager always may). Default: Report User. */
  readonly roles?: readonly Role[];
  /** Local-only reports are registered only where DEMO_METHODS is "on". */
  readonly demo?: boolean;
  /** Default timeout of a job in seconds (else the long queue's default). */
  readonly timeout?: number;
  /** Yields the rows, lazily: a million rows must never sit in memory. */
  run(filters: z.output<S>, ctx: ReportContext): AsyncIterable<Row> | Iterable<Row>;
}

/** Roles that may run a report (System Manager always may): its own, or Report User. */
export function reportRoles(report: ReportDefinition): readonly Role[] {
  return report.roles ?? ["Report User"];
}

/** Declares a report; add it to the list in reports/registry.ts. Throws on duplicate fieldnames or labels. */
export function defineReport<S extends z.ZodType>(definition: ReportDefinition<S>): ReportDefinition<S> {
  for (const key of ["fieldname", "label"] as const) {
    const seen = new Set<string>();
    for (const column of definition.columns) {
      if (seen.has(column[key])) throw new Error(`report ${definition.name}: duplicate column ${key} ${column[key]}`);
      seen.add(column[key]);
    }
  }
  return definition;
}
