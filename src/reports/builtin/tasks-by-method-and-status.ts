// "Tasks by Method and Status": how many tasks each method has in each status, with durations,
// for tasks created in the period.
import { and, avg, count, eq, gte, lt, max, type SQL } from "drizzle-orm";
import { getDb } from "../../db/client";
import { tasks } from "../../db/schema";
import { idFloor } from "../../shared/ids";
import { TASK_STATUSES } from "../../shared/states";
import { defineReport } from "../define";
import { asDate, periodFilters, periodRange } from "./period";

export const tasksByMethodAndStatus = defineReport({
  name: "Tasks by Method and Status",
  description: "Task counts and durations per method and status, for tasks created between from_date and to_date.",
  roles: ["System Manager"],
  filters: periodFilters,
  columns: [
    { fieldname: "method", label: "Method", fieldtype: "Data" },
    { fieldname: "status", label: "Status", fieldtype: "Select", options: TASK_STATUSES.join("\n") },
    { fieldname: "tasks", label: "Tasks", fieldtype: "Int" },
    { fieldname: "avg_time_taken", label: "Average Time (s)", fieldtype: "Float" },
    { fieldname: "max_time_taken", label: "Longest Time (s)", fieldtype: "Float" },
    { fieldname: "last_created", label: "Last Created", fieldtype: "Datetime" },
  ],
  async *run(filters, ctx) {
    const [from, to] = periodRange(filters);
    // Names are time-sortable, so the creation period is a primary-key range.
    const where: SQL[] = [gte(tasks.name, idFloor(from)), lt(tasks.name, idFloor(to))];
    if (filters.method) where.push(eq(tasks.method, filters.method));
    const rows = await getDb(ctx.env)
      .select({
        method: tasks.method,
        status: tasks.status,
        tasks: count(),
        avgTime: avg(tasks.timeTaken),
        maxTime: max(tasks.timeTaken),
        lastCreated: max(tasks.createdAt),
      })
      .from(tasks)
      .where(and(...where))
      .groupBy(tasks.method, tasks.status)
      .orderBy(tasks.method, tasks.status);
    for (const r of rows) {
      yield {
        method: r.method,
        status: r.status,
        tasks: r.tasks,
        avg_time_taken: r.avgTime === null ? null : Math.round(Number(r.avgTime) * 1000) / 1000,
        max_time_taken: r.maxTime,
        last_created: asDate(r.lastCreated),
      };
    }
  },
});
