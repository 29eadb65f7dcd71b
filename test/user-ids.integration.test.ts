// One grammar for every id a user chooses (schedule names, batch ids, target names, key users —
// those in api-key-users.integration.test.ts): a name no URL can address — `.`, `..`, a slash, a
// space — is a 400 that writes nothing, and what is accepted can be read, stopped and deleted.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { idProblem } from "../src/shared/names";
import { expectErrorEnvelope, expectNoTaskWritten, uid } from "./api-support";
import { call, createKey, enqueue } from "./helpers";

/** Names that no request path can carry unchanged (URL parsers resolve dot segments away). */
const UNROUTABLE = [".", "..", "a/b", "a b", "a%2Fb", "a?b", "a#b", "a\\b", "-lead", ".hidden", "", "x".repeat(101)];

async function count(sql: string, ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe("the id grammar", () => {
  it("refuses dot segments and anything a path cannot carry, accepts dotted and emailish ids", () => {
    for (const name of UNROUTABLE) expect(idProblem("schedule", name), JSON.stringify(name)).not.toBeNull();
    for (const name of ["nightly.sync", "a..b", "v1.2:sync", "ana+x@example.com", "_private", "9lives"]) {
      expect(idProblem("schedule", name), name).toBeNull();
    }
    expect(idProblem("user", "a:b")).not.toBeNull();
    expect(idProblem("target", "Erp")).not.toBeNull();
    expect(idProblem("target", "erp_2")).toBeNull();
  });
});

describe("schedule names", () => {
  it("a Task User's schedule named `..` (or any unroutable name) is a 400 and nothing is stored", async () => {
    const owner = `ids-${uid()}`;
    const user = await createKey(owner, ["Task User"]);
    for (const name of UNROUTABLE) {
      const res = await call("/api/v1/scheduled-jobs", {
        key: user,
        body: { name, method: "demo.echo", frequency: "every", every_s: 10 },
      });
      const error = expectErrorEnvelope(res, 400, "validation_failed");
      expect(error.message, JSON.stringify(name)).toMatch(/^invalid request body: name: must be 1-100 characters/);
    }
    expect(await count("SELECT count(*) AS n FROM scheduled_jobs WHERE owner = ?", owner)).toBe(0);
  });

  it("an accepted name with dots, colons and @ can be read, stopped, started and deleted through its URL", async () => {
    const name = `v1.2:sync@ana+${uid()}..x`;
    const path = `/api/v1/scheduled-jobs/${encodeURIComponent(name)}`;
    const created = await call("/api/v1/scheduled-jobs", {
      body: { name, method: "demo.echo", frequency: "every", every_s: 10 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await call(path)).body.name).toBe(name);
    expect((await call(`${path}/stop`, { body: { note: "x" } })).body.stopped).toBe(true);
    expect((await call(`${path}/start`, { method: "POST" })).body.stopped).toBe(false);
    expect((await call(path, { method: "DELETE" })).status).toBe(204);
    expect((await call(path)).status).toBe(404);
  });
});

describe("batch ids", () => {
  it("enqueue, bulk enqueue and chunked bulk refuse an unroutable batch_id and write nothing", async () => {
    for (const batch_id of [".", "..", "a/b", "a b"]) {
      await expectNoTaskWritten(async () => {
        const one = await call("/api/v1/tasks", { body: { method: "demo.echo", batch_id } });
        expectErrorEnvelope(one, 400);
        const bulk = await call("/api/v1/tasks/bulk", { body: { batch_id, tasks: [{ method: "demo.echo" }] } });
        expectErrorEnvelope(bulk, 400, "validation_failed");
        const chunked = await call("/api/v1/bulk/demo.items", { body: { batch_id, ids: ["a", "b"] } });
        expectErrorEnvelope(chunked, 400, "validation_failed");
      });
    }
  });

  it("an accepted dotted batch id is readable at its URL", async () => {
    const batchId = `nightly.${uid()}..run`;
    await enqueue({ method: "demo.echo", batch_id: batchId, arguments: { x: 1 } });
    const res = await call(`/api/v1/batches/${encodeURIComponent(batchId)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.batch_id).toBe(batchId);
  });
});

describe("remote target names", () => {
  it("a name outside the grammar is a 400 invalid_name and no target is stored", async () => {
    for (const name of ["_erp", "Erp", "erp.site", "erp:x"]) {
      const before = await count("SELECT count(*) AS n FROM remote_targets");
      const res = await call(`/api/v1/remote-targets/${encodeURIComponent(name)}`, {
        method: "PUT",
        body: { kind: "http", base_url: "https://example.com", allowed_methods: ["x"] },
      });
      expectErrorEnvelope(res, 400, "invalid_name");
      expect(await count("SELECT count(*) AS n FROM remote_targets")).toBe(before);
    }
  });
});
