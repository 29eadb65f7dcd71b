// "Failed Tasks": every task that failed in the period, with its error, read page by page.
import { and, eq, gte, lt, or, sql, type SQL } from "drizzle-orm";
import { getDb } from "../../db/client";
import { taskWhere } from "../../shared/states";
import { tasks } from "../../db/schema";
import { errorSummary } from "../../shared/errors";
import { defineReport } from "../define";
import { asDate, periodFilters, periodRange } from "./period";

const PAGE = 500;

export const failedTasks = defineReport({
  name: "Failed Tasks",
  description: "Tasks that are Failed, with their errors, by when they failed (between from_date and to_date).",
  roles: ["System Manager"],
  filters: periodFilters,
  columns: [
    { fieldname: "name", label: "Task", fieldtype: "Data" },
    { fieldname: "method", label: "Method", fieldtype: "Data" },
    { fieldname: "owner", label: "Owner", fieldtype: "Data" },
    { fieldname: "attempt", label: "Attempt", fieldtype: "Int" },
    { fieldname: "retry_count", label: "Retries", fieldtype: "Int" },
    { fieldname: "retry_scheduled", label: "Retry Scheduled", fieldtype: "Check" },
    { fieldname: "created_at", label: "Created", fieldtype: "Datetime" },
    { fieldname: "ended_at", label: "Failed At", fieldtype: "Datetime" },
    { fieldname: "time_taken", label: "Time (s)", fieldtype: "Float" },
    { fieldname: "error", label: "Error", fieldtype: "Data" },
  ],
  async *run(filters, ctx) {
    const [from, to] = periodRange(filters);
    const db = getDb(ctx.env);
    let after: { endedAt: number; name: string } | null = null;
    for (;;) {
      // Keyset paging over the partial index on failed rows: memory holds one page at a time.
      const where: (SQL | undefined)[] = [
        // The index's own condition (a literal), so SQLite uses the partial index on failed rows.
        sql.raw(taskWhere.failed((c) => `tasks.${c}`)),
        gte(tasks.endedAt, from),
        lt(tasks.endedAt, to),
      ];
      if (filters.method) where.push(eq(tasks.method, filters.method));
      if (after) {
        where.push(
          or(
            sql`${tasks.endedAt} > ${after.endedAt}`,
            and(eq(tasks.endedAt, after.endedAt), sql`${tasks.name} > ${after.name}`),
          ),
        );
      }
      const page = await db
        .select({
          name: tasks.name,
          method: tasks.method,
          owner: tasks.owner,
          attempt: tasks.attempt,
          retryCount: tasks.retryCount,
          wakeAt: tasks.wakeAt,
          createdAt: tasks.createdAt,
          endedAt: tasks.endedAt,
          timeTaken: tasks.timeTaken,
          errorMessage: tasks.errorMessage,
        })
        .from(tasks)
        .where(and(...where))
        .orderBy(tasks.endedAt, tasks.name)
        .limit(PAGE);
      for (const r of page) {
        yield {
          name: r.name,
          method: r.method,
          owner: r.owner,
          attempt: r.attempt,
          retry_count: r.retryCount,
          retry_scheduled: r.wakeAt !== null,
          created_at: asDate(r.createdAt),
          ended_at: asDate(r.endedAt),
          time_taken: r.timeTaken,
          error: errorSummary(r.errorMessage),
        };
      }
      const last = page[page.length - 1];
      if (page.length < PAGE || !last || last.endedAt === null) return;
      after = { endedAt: last.endedAt, name: last.name };
    }
  },
});
