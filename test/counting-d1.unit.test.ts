import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { batches, tasks } from "../src/db/schema";
import { insertTaskRow } from "./fixtures";

describe("the counted D1 wrapper", () => {
  it("keeps both of two same-named columns of a join in their own fields", async () => {
    const task = await insertTaskRow({ batchId: "join-check", owner: "Administrator", createdAt: 1111 });
    await env.DB.prepare("UPDATE batches SET created_at = 2222 WHERE batch_id = 'join-check'").run();
    const [row] = await getDb(env)
      .select({ taskCreated: tasks.createdAt, batchCreated: batches.createdAt, owner: batches.owner })
      .from(tasks)
      .innerJoin(batches, eq(batches.batchId, tasks.batchId))
      .where(eq(tasks.name, task.name));
    expect(row).toEqual({ taskCreated: 1111, batchCreated: 2222, owner: "Administrator" });
  });
});
