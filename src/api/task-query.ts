// The task list's filters as the routes receive them (query or JSON body) → the storage filter:
// ISO time bounds, and `arg=<path>=<json value>` conditions on the task's arguments (grammar in
// shared/arg-filter.ts, e.g. `arg=customer="CUST-0001"`, `arg=items[0].qty=5`).
import type { z } from "zod";
import type { TaskFilterFields } from "../contract/tasks";
import { MAX_ARG_FILTERS } from "../contract/tasks";
import type { ArgumentMatch, TaskFilter } from "../db/task-filter";
import { parseArgCondition, type PathStep } from "../shared/arg-filter";
import { invalid } from "../shared/errors";
import { isSystemManager, type User } from "../shared/user";

export { MAX_ARG_FILTERS };

/** The SQLite JSON path of parsed steps: keys always quoted, so `-` in a key is plain text. */
function sqlitePath(steps: readonly PathStep[]): string {
  return `$${steps.map((s) => ("key" in s ? `."${s.key}"` : `[${s.index}]`)).join("")}`;
}

/** The SQLite JSON path for a user path such as `items[0].code` → `$."items"[0]."code"`, or null. */
export function jsonPath(path: string): string | null {
  const parsed = parseArgCondition(`${path}=null`);
  return "error" in parsed ? null : sqlitePath(parsed.steps);
}

/** Parses `arg` values; anything the grammar refuses is a 400 that says why. */
export function parseArgFilters(values: readonly string[]): ArgumentMatch[] {
  if (values.length > MAX_ARG_FILTERS) {
    throw invalid("validation_failed", `invalid query: at most ${MAX_ARG_FILTERS} arg filters`);
  }
  return values.map((raw) => {
    const parsed = parseArgCondition(raw);
    if ("error" in parsed) {
      throw invalid("validation_failed", `invalid query: ${parsed.error}`, [{ path: "arg", message: parsed.error }]);
    }
    return { path: sqlitePath(parsed.steps), value: parsed.value };
  });
}

/** Epoch ms of an ISO time query parameter (already validated as ISO by the schema). */
export const isoMs = (text: string | undefined) => (text === undefined ? undefined : Date.parse(text));

type FilterFields = { [K in keyof typeof TaskFilterFields]?: z.output<(typeof TaskFilterFields)[K]> };

/** The storage filter for the list's filter fields and `arg` values. */
export function taskFilterOf(fields: FilterFields, args: readonly string[]): TaskFilter {
  return {
    status: fields.status,
    method: fields.method,
    batchId: fields.batch_id,
    owner: fields.owner,
    jobName: fields.job_name,
    createdAfter: isoMs(fields.created_after),
    createdBefore: isoMs(fields.created_before),
    args: parseArgFilters(args),
  };
}

/**
 * The filter as `user` may apply it to the list and its counts: a System Manager's as given, anyone
 * else's narrowed to their own tasks — or null when they ask for another owner's (nothing to show).
 */
export function visibleFilter(user: User, fields: FilterFields, args: readonly string[]): TaskFilter | null {
  if (isSystemManager(user)) return taskFilterOf(fields, args);
  if (fields.owner !== undefined && fields.owner !== user.name) return null;
  return taskFilterOf({ ...fields, owner: user.name }, args);
}
