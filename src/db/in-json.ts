// `column IN (list)` with the whole list bound as ONE JSON parameter: D1 allows at most 100 bound
// parameters per statement, and lists of task names can hold hundreds.
import { sql, type Column, type SQL } from "drizzle-orm";

/** `column IN (SELECT value FROM json_each(?))` for any number of values. */
export function inJson(column: Column, values: readonly (string | number)[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}
