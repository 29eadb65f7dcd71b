// The benchmark's counting D1 wrapper counts what runs through it and never changes results.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { countingD1 } from "../src/db/counting-d1";
import * as schema from "../src/db/schema";
import { batches, tasks } from "../src/db/schema";
import { snapshot } from "../src/shared/metrics";
import { insertTaskRow } from "./fixtures";

const counted = drizzle(countingD1(env.DB), { schema });

describe("the counted D1 wrapper", () => {
  it("keeps both of two same-named columns of a join in their own fields", async () => {
    await env.DB.prepare(
      "INSERT INTO batches (batch_id, owner, total, created_at, order_key) VALUES ('join-check', 'Administrator', 1, 2222, '')",
    ).run();
    const task = await insertTaskRow({ batchId: "join-check", owner: "Administrator", createdAt: 1111 });
    const before = snapshot().d1Statements;
    const [row] = await counted
      .select({ taskCreated: tasks.createdAt, batchCreated: batches.createdAt, owner: batches.owner })
      .from(tasks)
      .innerJoin(batches, eq(batches.batchId, tasks.batchId))
      .where(eq(tasks.name, task.name));
    expect(row).toEqual({ taskCreated: 1111, batchCreated: 2222, owner: "Administrator" });
    expect(snapshot().d1Statements - before).toBe(1);
  });

  it("counts the rows a batch reads and writes from D1's own report", async () => {
    const task = await insertTaskRow();
    const before = snapshot();
    const [changed] = await counted.batch([
      counted.update(tasks).set({ priority: 7 }).where(eq(tasks.name, task.name)).returning({ name: tasks.name }),
    ]);
    expect(changed).toEqual([{ name: task.name }]);
    const after = snapshot();
    expect(after.d1Statements - before.d1Statements).toBe(1);
    expect(after.d1RowsWritten - before.d1RowsWritten).toBeGreaterThanOrEqual(1);
    expect(after.d1RowsRead - before.d1RowsRead).toBeGreaterThanOrEqual(1);
  });
});
