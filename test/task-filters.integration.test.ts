// The task list's new filters (job_name, created range, arguments by JSON path), bulk actions over
// the same filter, and their 400s for bad input.
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, enqueue, settleLog } from "./helpers";

const later = () => new Date(Date.now() + 3_600_000).toISOString();
const names = (res: { body: { data: { name: string }[] } }) => res.body.data.map((t) => t.name).sort();

describe("task list filters", () => {
  const made: Record<string, string> = {};
  let startedAt = "";
  beforeAll(async () => {
    startedAt = new Date(Date.now() - 1).toISOString();
    // Delayed, so none of them runs (and changes) during the tests.
    const specs: [string, Record<string, unknown>, string][] = [
      ["a", { customer: "CUST-0001", qty: 5, items: [{ code: "X" }], vip: true }, "Sync CUST-0001 invoices"],
      ["b", { customer: "CUST-0002", qty: 5, items: [{ code: "Y" }], vip: false }, "Sync CUST-0002 invoices"],
      ["c", { customer: "CUST-0001", qty: 7, note: null, "odd-key": "z" }, "Nightly 100% export"],
    ];
    for (const [id, args, jobName] of specs) {
      made[id] = (await enqueue({ method: "demo.echo", arguments: args, job_name: jobName, run_at: later() })).name;
    }
    // Lists (and actions by filter) read the log: let it catch up with the objects.
    await settleLog();
  });

  const list = (query: string) => call(`/api/v1/tasks?created_after=${encodeURIComponent(startedAt)}&${query}`);

  it("matches a string, a number, a boolean, null and a nested path inside arguments", async () => {
    expect(names(await list(`arg=${encodeURIComponent('customer="CUST-0001"')}`))).toEqual([made.a, made.c].sort());
    expect(names(await list(`arg=${encodeURIComponent("customer=CUST-0001")}`))).toEqual([made.a, made.c].sort());
    expect(names(await list("arg=qty=5"))).toEqual([made.a, made.b].sort());
    expect(names(await list("arg=vip=true"))).toEqual([made.a]);
    expect(names(await list("arg=note=null"))).toEqual([made.c]);
    expect(names(await list(`arg=${encodeURIComponent('items[0].code="Y"')}`))).toEqual([made.b]);
    expect(names(await list(`arg=${encodeURIComponent('odd-key="z"')}`))).toEqual([made.c]);
    // Repeated args are ANDed.
    expect(names(await list(`arg=${encodeURIComponent('customer="CUST-0001"')}&arg=qty=7`))).toEqual([made.c]);
  });

  it("filters by a job_name substring, LIKE wildcards taken literally", async () => {
    expect(names(await list("job_name=invoices"))).toEqual([made.a, made.b].sort());
    expect(names(await list(`job_name=${encodeURIComponent("100%")}`))).toEqual([made.c]);
    expect(names(await list(`job_name=${encodeURIComponent("%")}`))).toEqual([made.c]);
  });

  it("filters by creation time as a name range", async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await call(`/api/v1/tasks?created_after=${encodeURIComponent(future)}`)).body.data).toEqual([]);
    const before = await call(`/api/v1/tasks?created_before=${encodeURIComponent(startedAt)}&job_name=invoices`);
    expect(before.body.data).toEqual([]);
  });

  it("keeps keyset paging with filters", async () => {
    const first = await list("arg=qty=5&limit=1");
    expect(first.body.data).toHaveLength(1);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await list(`arg=qty=5&limit=1&cursor=${first.body.next_cursor}`);
    expect([...names(first), ...names(second)].sort()).toEqual([made.a, made.b].sort());
  });

  it("answers 400 in the envelope for a bad path, a missing '=', too many args or a bad time", async () => {
    for (const bad of ["arg=customer", "arg=.x=1", "arg=a..b=1", "arg=a[x]=1", `arg=${encodeURIComponent("a b=1")}`]) {
      const res = await call(`/api/v1/tasks?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
    }
    const many = Array.from({ length: 6 }, (_, i) => `arg=k${i}=1`).join("&");
    expect((await call(`/api/v1/tasks?${many}`)).status).toBe(400);
    expect((await call("/api/v1/tasks?created_after=yesterday")).status).toBe(400);
  });

  it("a Task User's filters never reach other users' tasks", async () => {
    const key = await createKey("filter-user");
    const res = await call(`/api/v1/tasks?arg=${encodeURIComponent('customer="CUST-0001"')}`, { key });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });

  it("a bulk action by filter applies to exactly what the list shows", async () => {
    const filter = { created_after: startedAt, arg: ['customer="CUST-0001"'], status: "Pending" };
    const res = await call("/api/v1/tasks/actions", { body: { action: "pause", filter } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.done).toBe(2);
    expect(res.body.results.map((r: { name: string }) => r.name).sort()).toEqual([made.a, made.c].sort());
    await settleLog();
    expect(names(await list("status=Paused"))).toEqual([made.a, made.c].sort());
    const bad = await call("/api/v1/tasks/actions", { body: { action: "pause", filter: { arg: ["nope"] } } });
    expect(bad.status).toBe(400);
  });
});
