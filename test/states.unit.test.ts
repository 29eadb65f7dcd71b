// Each state condition of the log is defined once: its SQL text is exactly the WHERE of its partial
// index in the migrated database, and it agrees with its TypeScript predicate on every status.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TASK_STATUSES, isEnded, isLive, taskWhere } from "../src/shared/states";

/** The WHERE of an index as the migrations left it, normalised (no quotes, no table prefix). */
async function indexWhere(name: string): Promise<string> {
  const row = await env.DB.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
    .bind(name)
    .first<{ sql: string }>();
  const sql = row?.sql ?? "";
  const where = sql.slice(sql.toUpperCase().indexOf(" WHERE ") + " WHERE ".length);
  return normalise(where);
}

const normalise = (sql: string) =>
  sql
    .replace(/["`]/g, "")
    .replace(/\btasks\./g, "")
    .replace(/\s+/g, " ")
    .replace(/\( /g, "(")
    .replace(/ \)/g, ")")
    .trim();

describe("state conditions", () => {
  it.each([
    ["tasks_live", taskWhere.live()],
    ["tasks_failed", taskWhere.failed()],
    ["tasks_batch", taskWhere.inBatch()],
  ])("the SQL text of %s's condition is the index's WHERE in the migrated database", async (index, fragment) => {
    expect(await indexWhere(index)).toBe(normalise(fragment));
  });

  it("the SQL conditions and the TypeScript predicates agree on every status, with and without a timer", async () => {
    const cases = TASK_STATUSES.flatMap((status) => [
      { status, wakeAt: null },
      { status, wakeAt: 1 },
    ]);
    for (const c of cases) {
      const row = await env.DB.prepare(
        `SELECT ${taskWhere.live()} AS live, ${taskWhere.ended()} AS ended FROM (SELECT ?1 AS status, ?2 AS wake_at)`,
      )
        .bind(c.status, c.wakeAt)
        .first<{ live: number; ended: number }>();
      const state = { status: c.status, wakeAt: c.wakeAt };
      expect(Boolean(row?.live), JSON.stringify(c)).toBe(isLive(state));
      expect(Boolean(row?.ended), JSON.stringify(c)).toBe(isEnded(state));
      expect(isLive(state)).toBe(!isEnded(state));
    }
  });
});
