// The task list's filters as SQL: shared by GET /api/v1/tasks and bulk actions "by filter", so both
// select exactly the same rows.
import { and, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import { idFloor } from "../shared/ids";
import type { TaskStatus } from "../shared/states";
import { tasks } from "./schema";

/** One condition inside `arguments`: a SQLite JSON path (e.g. `$."items"[0]."code"`) and a JSON value. */
export interface ArgumentMatch {
  path: string;
  value: unknown;
}

export interface TaskFilter {
  status?: TaskStatus;
  method?: string;
  batchId?: string;
  owner?: string;
  /** Substring of job_name (case-insensitive for ASCII, like SQLite's LIKE). */
  jobName?: string;
  /** Created at or after (epoch ms): a primary-key range, since names are time-sortable ULIDs. */
  createdAfter?: number;
  /** Created before (epoch ms). */
  createdBefore?: number;
  args?: readonly ArgumentMatch[];
}

/**
 * One `arguments` condition. json_extract yields SQL values (text, integer, real; true/false as
 * 1/0), so scalars are bound as such; objects and arrays compare as minified JSON text; null means
 * the key is present and JSON null (a missing key is not null).
 */
function argumentCondition({ path, value }: ArgumentMatch): SQL {
  if (value === null) return sql`json_type(${tasks.arguments}, ${path}) = 'null'`;
  if (typeof value === "boolean") return sql`json_extract(${tasks.arguments}, ${path}) = ${value ? 1 : 0}`;
  if (typeof value === "number" || typeof value === "string") {
    return sql`json_extract(${tasks.arguments}, ${path}) = ${value}`;
  }
  return sql`json_extract(${tasks.arguments}, ${path}) = json(${JSON.stringify(value)})`;
}

/** The WHERE conditions of a filter (ANDed by the caller). */
export function filterConditions(filter: TaskFilter): SQL[] {
  const conditions: (SQL | undefined)[] = [
    filter.status ? eq(tasks.status, filter.status) : undefined,
    filter.method ? eq(tasks.method, filter.method) : undefined,
    filter.batchId ? eq(tasks.batchId, filter.batchId) : undefined,
    filter.owner ? eq(tasks.owner, filter.owner) : undefined,
    // instr, not LIKE: D1 refuses LIKE patterns over 50 bytes (a 500 for a long job name), and a
    // substring with a leading wildcard reads every candidate row either way. lower() on both sides
    // keeps LIKE's ASCII case-insensitivity.
    filter.jobName ? sql`instr(lower(${tasks.jobName}), lower(${filter.jobName})) > 0` : undefined,
    filter.createdAfter !== undefined ? gte(tasks.name, idFloor(filter.createdAfter)) : undefined,
    filter.createdBefore !== undefined ? lt(tasks.name, idFloor(filter.createdBefore)) : undefined,
    ...(filter.args ?? []).map(argumentCondition),
  ];
  return conditions.filter((c): c is SQL => c !== undefined);
}

/** All conditions of a filter ANDed (undefined when there are none). */
export function filterWhere(filter: TaskFilter): SQL | undefined {
  return and(...filterConditions(filter));
}
