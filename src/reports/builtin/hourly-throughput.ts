// "Hourly Throughput": tasks that ended per hour and method — finished, failed, canceled — with
// the durations of the finished ones.
import { sql } from "drizzle-orm";
import { getDb } from "../../db/client";
import { taskWhere } from "../../shared/states";
import { defineReport } from "../define";
import { periodFilters, periodRange } from "./period";

type HourRow = {
  hour: string;
  method: string;
  finished: number;
  failed: number;
  canceled: number;
  avg_time_taken: number | null;
  max_time_taken: number | null;
};

export const hourlyThroughput = defineReport({
  name: "Hourly Throughput",
  description: "Per hour (UTC) and method: tasks finished, failed and canceled, and how long the finished ones took.",
  roles: ["System Manager"],
  filters: periodFilters,
  columns: [
    { fieldname: "hour", label: "Hour", fieldtype: "Datetime" },
    { fieldname: "method", label: "Method", fieldtype: "Data" },
    { fieldname: "finished", label: "Finished", fieldtype: "Int" },
    { fieldname: "failed", label: "Failed", fieldtype: "Int" },
    { fieldname: "canceled", label: "Canceled", fieldtype: "Int" },
    { fieldname: "avg_time_taken", label: "Average Time (s)", fieldtype: "Float" },
    { fieldname: "max_time_taken", label: "Longest Time (s)", fieldtype: "Float" },
  ],
  async *run(filters, ctx) {
    const [from, to] = periodRange(filters);
    const method = filters.method ? sql`AND method = ${filters.method}` : sql``;
    const rows = await getDb(ctx.env).all<HourRow>(sql`
      SELECT strftime('%Y-%m-%d %H:00:00', ended_at / 1000, 'unixepoch') AS hour, method,
        sum(status = 'Finished') AS finished,
        sum(status = 'Failed') AS failed,
        sum(status = 'Canceled') AS canceled,
        round(avg(CASE WHEN status = 'Finished' THEN time_taken END), 3) AS avg_time_taken,
        max(CASE WHEN status = 'Finished' THEN time_taken END) AS max_time_taken
      FROM tasks
      WHERE ended_at >= ${from} AND ended_at < ${to} AND ${sql.raw(taskWhere.ended())} ${method}
      GROUP BY hour, method
      ORDER BY hour, method`);
    yield* rows;
  },
});
