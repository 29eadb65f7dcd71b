// Remote methods end to end against the demo-frappe site (a real second Worker): the signed call,
// Frappe's answers turned into outcomes, Retry-After, auth failures, 202 + callbacks, cancel,
// a silent remote, and the callback endpoints' own checks.
import { describe, expect, it, vi } from "vitest";
import { call, enqueue, getTask, settleLog, waitForStatus } from "./helpers";
import { SITE_SECRET, requireSignatures, siteCalls, siteTarget, waitForCalls } from "./remote-support";

const callback = (task: string, kind: string, token: string | null, body: unknown) =>
  call(`/api/v1/tasks/${task}/${kind}`, {
    key: null,
    body,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

describe("remote methods on a Frappe site", () => {
  it("calls the method signed, with Frappe's token auth, and finishes with its message", async () => {
    const { name, host } = await siteTarget();
    const task = await enqueue({ method: `${name}:myapp.api.sync_customer`, arguments: { customer: "CUST-0001" } });
    const done = await waitForStatus(task.name, ["Finished", "Failed"]);
    expect(done.status, done.error_message).toBe("Finished");
    expect(done.result).toEqual({ customer: "CUST-0001", synced: true });

    const [received] = await siteCalls(host, task.name);
    expect(received).toMatchObject({
      method: "myapp.api.sync_customer",
      attempt: "1",
      signature: "valid",
      status: 200,
    });
    expect(received?.body).toBe(JSON.stringify({ customer: "CUST-0001" }));
    expect(received?.headers["authorization"]).toBe("token demo-key:***");
    expect(received?.headers["webhook-id"]).toBe(`${task.name}_1`);
    expect(received?.headers["x-switchyard-callback-token"]).toMatch(/^1\.[A-Za-z0-9_-]{43}$/);
    expect(received?.headers["x-switchyard-callback-url"]).toBe(`http://switchyard.test/api/v1/tasks/${task.name}`);
    expect(JSON.stringify(await getTask(task.name))).not.toContain(SITE_SECRET);
  });

  it("runs a document action through frappe.handler.run_doc_method", async () => {
    const { name, host } = await siteTarget();
    const task = await enqueue({
      document_type: `${name}:Sales Invoice`,
      document_name: "ACC-SINV-2025-00042",
      document_action: "submit",
    });
    const done = await waitForStatus(task.name, ["Finished", "Failed"]);
    expect(done.status, done.error_message).toBe("Finished");
    expect(done.result).toMatchObject({ name: "ACC-SINV-2025-00042", docstatus: 1, doctype: "Sales Invoice" });
    const [received] = await siteCalls(host, task.name);
    expect(received?.method).toBe("frappe.handler.run_doc_method");
    expect(JSON.parse(received?.body ?? "{}")).toEqual({
      dt: "Sales Invoice",
      dn: "ACC-SINV-2025-00042",
      method: "submit",
      args: "{}",
    });
  });

  it("fails permanently with Frappe's error text, without HTML", async () => {
    const { name } = await siteTarget();
    const task = await enqueue({
      method: `${name}:myapp.api.fail_validation`,
      arguments: { customer: "CUST-9" },
      max_retries: 3,
    });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.retry_count).toBe(0);
    expect(failed.retry_at).toBeNull();
    expect(failed.error_message).toMatch(new RegExp(`^RemoteError: ${name} answered 417: `));
    expect(failed.error_message).toContain("ValidationError");
    expect(failed.error_message).toContain("Customer CUST-9 not found");
    expect(failed.error_message).not.toMatch(/<\/?b>/);
  });

  it("aborts a call in flight when the task times out, and when it is canceled", async () => {
    const { name } = await siteTarget();
    const timed = await enqueue({ method: `${name}:myapp.api.slow`, arguments: { ms: 120_000 }, timeout: 1 });
    const failed = await waitForStatus(timed.name, "Failed", 30_000);
    expect(failed.error_message).toMatch(/^TimeoutError: task timed out after 1s/);

    const held = await enqueue({ method: `${name}:myapp.api.slow`, arguments: { ms: 120_000 } });
    await waitForStatus(held.name, "Started");
    expect((await call(`/api/v1/tasks/${held.name}/cancel`, { body: {} })).status).toBe(200);
    // The attempt records that it stopped: the request was aborted, not left to run two minutes.
    await vi.waitUntil(async () => ((await getTask(held.name)).debug_log ?? "").includes("stopped after cancel"), {
      timeout: 20_000,
      interval: 50,
    });
  });

  it("never follows a redirect, not even one back to the same site", async () => {
    const { name, host } = await siteTarget();
    // If the call followed it, the site would record a second request for this task.
    const location = `http://169.254.169.254/api/method/myapp.api.sync_customer?customer=X`;
    const task = await enqueue({ method: `${name}:myapp.api.moved`, arguments: { location }, max_retries: 2 });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.retry_at).toBeNull();
    expect(failed.error_message).toMatch(/302 redirecting to http:\/\/169\.254\.169\.254.*redirects are not followed/);
    expect(failed.error_message).not.toContain("customer=X");
    expect(await siteCalls(host, task.name)).toHaveLength(1);
  });

  it("keeps every secret out of the log lines, the task and the target", async () => {
    const lines: string[] = [];
    const spies = (["log", "warn", "error"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...parts: unknown[]) => {
        lines.push(parts.map(String).join(" "));
      }),
    );
    try {
      const good = await siteTarget();
      const bad = await siteTarget({ credentials: { api_key: "demo-key", api_secret: "wrong-secret-xyz" } });
      const tasks = [
        await enqueue({ method: `${good.name}:myapp.api.long_job`, arguments: { steps: 2, step_ms: 10 } }),
        await enqueue({ method: `${good.name}:myapp.api.fail_validation`, arguments: { customer: "C" } }),
        await enqueue({ method: `${bad.name}:myapp.api.sync_customer`, arguments: { customer: "C" } }),
        // Falls silent after its 202: the lease lapses and the scheduler logs it.
        await enqueue({ method: `${good.name}:myapp.api.long_job`, arguments: { steps: 1, step_ms: 60_000 } }),
      ];
      const ended = [];
      for (const t of tasks) ended.push(await waitForStatus(t.name, ["Finished", "Failed"]));
      const token = (await siteCalls(good.host, tasks[0]?.name ?? ""))[0]?.headers["x-switchyard-callback-token"];
      expect(token).toBeDefined();
      const targets = await call("/api/v1/remote-targets");
      const everything = [lines.join("\n"), JSON.stringify(ended), JSON.stringify(targets.body)].join("\n");
      for (const secret of [SITE_SECRET, "wrong-secret-xyz", good.secret.slice(6), bad.secret.slice(6), token ?? ""]) {
        expect(everything).not.toContain(secret);
      }
      // The check above read real log lines of these tasks' own paths.
      expect(lines.some((line) => line.includes("lease expired") && line.includes(tasks[3]?.name ?? "?"))).toBe(true);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("does not retry a Python programming error, though Frappe answers it 500", async () => {
    const { name, host } = await siteTarget();
    // sync_customer(customer) without its argument: TypeError, a 500 on a real site too.
    const task = await enqueue({ method: `${name}:myapp.api.sync_customer`, arguments: {}, max_retries: 3 });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.retry_at).toBeNull();
    expect(failed.error_message).toMatch(
      /answered 500: TypeError: sync_customer\(\) missing 1 required positional argument/,
    );
    expect(await siteCalls(host, task.name)).toHaveLength(1);
  });

  it("retries a 503 no sooner than its Retry-After, then finishes", async () => {
    const { name, host } = await siteTarget();
    const task = await enqueue({ method: `${name}:myapp.api.flaky`, max_retries: 2, retry_delay: 0 });
    const done = await waitForStatus(task.name, ["Finished"], 30_000);
    expect(done.result).toEqual({ attempt: 2 });
    const calls = await siteCalls(host, task.name);
    expect(calls.map((c) => c.status)).toEqual([503, 200]);
    // The retry waited for Retry-After: 1 even though retry_delay is 0.
    const [first, second] = calls;
    expect(Date.parse(second?.at ?? "") - Date.parse(first?.at ?? "")).toBeGreaterThanOrEqual(1000);
  });

  it("flags the target auth_failed on 401, lists it in ops, and a good test clears it", async () => {
    const { name } = await siteTarget({ credentials: { api_key: "demo-key", api_secret: "wrong-secret" } });
    const task = await enqueue({
      method: `${name}:myapp.api.sync_customer`,
      arguments: { customer: "C" },
      max_retries: 3,
    });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.retry_at).toBeNull();
    expect(failed.error_message).toMatch(new RegExp(`^RemoteError: ${name} answered 401`));
    expect(failed.error_message).not.toContain("wrong");
    const target = (await call(`/api/v1/remote-targets/${name}`)).body;
    expect(target.auth_failed).toBe(true);
    const ops = (await call("/api/v1/ops")).body;
    expect(ops.remote_targets_auth_failed.map((t: { name: string }) => t.name)).toContain(name);

    const badTest = await call(`/api/v1/remote-targets/${name}/test`, { method: "POST" });
    expect(badTest.body).toMatchObject({ ok: false, status: 401 });

    const fixed = await call(`/api/v1/remote-targets/${name}`, {
      method: "PUT",
      body: {
        kind: "frappe",
        base_url: `http://${name}.localhost`,
        credentials: { api_key: "demo-key", api_secret: SITE_SECRET },
        allowed_methods: ["myapp.api.*"],
      },
    });
    expect(fixed.status).toBe(200);
    const goodTest = await call(`/api/v1/remote-targets/${name}/test`, { method: "POST" });
    expect(goodTest.body).toEqual({
      ok: true,
      status: 200,
      user: "switchyard@example.com",
      message: "logged in as switchyard@example.com",
    });
    expect((await call(`/api/v1/remote-targets/${name}`)).body.auth_failed).toBe(false);
  });

  it("treats a refused signature as an auth failure (the site holds another secret)", async () => {
    const { name, host } = await siteTarget();
    await requireSignatures(host, [`whsec_${btoa("z".repeat(32))}`]);
    const task = await enqueue({ method: `${name}:myapp.api.sync_customer`, arguments: { customer: "C" } });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.error_message).toContain("Webhook signature rejected");
    expect((await siteCalls(host, task.name))[0]?.signature).toBe("invalid");
  });

  it("signs with both secrets during a rotation, so a site holding either accepts", async () => {
    const { name, host, secret } = await siteTarget();
    const rotated = await call(`/api/v1/remote-targets/${name}/rotate-signing-secret`, { body: {} });
    const fresh = rotated.body.signing_secret as string;
    for (const held of [secret, fresh]) {
      await requireSignatures(host, [held]);
      const task = await enqueue({ method: `${name}:myapp.api.sync_customer`, arguments: { customer: "C" } });
      expect((await waitForStatus(task.name, ["Finished", "Failed"])).status).toBe("Finished");
      expect((await siteCalls(host, task.name))[0]?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    }
  });
});

describe("remote methods through bulk, chunked bulk and schedules", () => {
  it("runs remote tasks of a bulk enqueue, and chunks of ids as the ids argument", async () => {
    const { name, host } = await siteTarget();
    const bulk = await call("/api/v1/tasks/bulk", {
      body: {
        tasks: ["C-1", "C-2", "C-3"].map((customer) => ({
          method: `${name}:myapp.api.sync_customer`,
          arguments: { customer },
        })),
      },
    });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(201);
    for (const t of bulk.body.tasks as { name: string }[]) {
      expect((await waitForStatus(t.name, ["Finished", "Failed"])).status).toBe("Finished");
    }

    const chunked = await call(`/api/v1/bulk/${name}:myapp.api.sync_customer`, {
      body: { ids: ["a", "b", "c", "d", "e"], chunk_size: 2, arguments: { customer: "CUST-1" } },
    });
    expect(chunked.status, JSON.stringify(chunked.body)).toBe(201);
    expect(chunked.body.enqueued).toBe(3);
    await settleLog();
    const listed = await call(`/api/v1/tasks?batch_id=${chunked.body.batch_id as string}`);
    const chunks = (listed.body.data as { name: string; batch_order: number }[]).sort(
      (a, b) => a.batch_order - b.batch_order,
    );
    expect(chunks).toHaveLength(3);
    const bodies: unknown[] = [];
    for (const t of chunks) {
      expect((await waitForStatus(t.name, ["Finished", "Failed"])).status).toBe("Finished");
      bodies.push(JSON.parse((await siteCalls(host, t.name))[0]?.body ?? "null"));
    }
    expect(bodies).toEqual([
      { customer: "CUST-1", ids: ["a", "b"] },
      { customer: "CUST-1", ids: ["c", "d"] },
      { customer: "CUST-1", ids: ["e"] },
    ]);
    const refused = await call(`/api/v1/bulk/${name}:frappe.client.delete`, { body: { ids: ["a"] } });
    expect(refused.status).toBe(400);
  });

  it("runs a schedule of a remote method", async () => {
    const { name } = await siteTarget();
    const schedule = `remote-${name}`;
    const created = await call("/api/v1/scheduled-jobs", {
      body: {
        name: schedule,
        method: `${name}:myapp.api.sync_customer`,
        arguments: { customer: "CUST-7" },
        frequency: "daily",
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const ran = await call(`/api/v1/scheduled-jobs/${schedule}/run`, { body: {} });
    expect(ran.status, JSON.stringify(ran.body)).toBe(201);
    const done = await waitForStatus(ran.body.task as string, ["Finished", "Failed"]);
    expect(done.status, done.error_message).toBe("Finished");
    expect(done.result).toEqual({ customer: "CUST-7", synced: true });
  });
});

describe("202 and callbacks", () => {
  it("keeps a 202 task Started, stores its progress callbacks, and finishes on complete", async () => {
    const { name, host } = await siteTarget();
    const task = await enqueue({ method: `${name}:myapp.api.long_job`, arguments: { steps: 5, step_ms: 100 } });
    const seen: number[] = [];
    await vi.waitUntil(
      async () => {
        const t = await getTask(task.name);
        if (t.progress?.count !== undefined && !seen.includes(t.progress.count)) seen.push(t.progress.count);
        return t.status === "Finished" || t.status === "Failed";
      },
      { timeout: 20_000, interval: 20 },
    );
    const done = await getTask(task.name);
    expect(done.status, done.error_message).toBe("Finished");
    expect(done.result).toEqual({ steps: 5, done: true });
    expect(done.progress).toMatchObject({ count: 5, total: 5 });
    const [received] = await waitForCalls(host, task.name, (c) => c[0]?.background === "done");
    expect(received?.status).toBe(202);
    expect(received?.callbacks.map((c) => [c.kind, c.status])).toEqual([
      ["progress", 200],
      ["progress", 200],
      ["progress", 200],
      ["progress", 200],
      ["progress", 200],
      ["complete", 200],
    ]);
    // Progress was seen rising while the task ran (not only at the end).
    expect(seen.length).toBeGreaterThan(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it("fails a 202 task through the fail callback, permanently when asked", async () => {
    const { name } = await siteTarget();
    const task = await enqueue({
      method: `${name}:myapp.api.long_job`,
      arguments: { steps: 4, step_ms: 20, fail_at: 2, permanent: true },
      max_retries: 3,
    });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.error_message).toBe(`RemoteError: ${name}: Step 2 of 4 failed`);
    expect(failed.retry_at).toBeNull();
    expect(failed.progress).toMatchObject({ count: 1, total: 4 });
  });

  it("tells the site to stop after a cancel: its next callback gets 409 and changes nothing", async () => {
    const { name, host } = await siteTarget();
    const task = await enqueue({ method: `${name}:myapp.api.long_job`, arguments: { steps: 50, step_ms: 100 } });
    await waitForCalls(host, task.name, (c) => (c[0]?.callbacks.length ?? 0) >= 1);
    const canceled = await call(`/api/v1/tasks/${task.name}/cancel`, { body: {} });
    expect(canceled.status).toBe(200);
    const [received] = await waitForCalls(host, task.name, (c) => c[0]?.background === "done");
    const last = received?.callbacks.at(-1);
    expect(last).toMatchObject({ kind: "progress", status: 409 });
    expect(received?.callbacks.length).toBeLessThan(50);
    const after = await getTask(task.name);
    expect(after.status).toBe("Canceled");
  });

  it("fails a 202 attempt whose remote falls silent, once its heartbeat lapses", async () => {
    const { name } = await siteTarget();
    // The site waits a minute before its first callback; the heartbeat is 2 s in the tests.
    const task = await enqueue({
      method: `${name}:myapp.api.long_job`,
      arguments: { steps: 1, step_ms: 60_000 },
      timeout: 600,
    });
    // The site answered 202 (the attempt waits for callbacks) — not a call still in flight.
    await expect
      .poll(async () => (await getTask(task.name)).status_message, { interval: 50 })
      .toBe(`accepted by ${name}; waiting for its callbacks`);
    const failed = await waitForStatus(task.name, "Failed", 30_000);
    expect(failed.error_message).toMatch(/^WorkerLost: no outcome or callback was recorded/);
  });

  it("keeps a 202 attempt alive past several heartbeat intervals while callbacks keep coming", async () => {
    const { name } = await siteTarget();
    // 7 steps of 0.7 s: 4.9 s of work, more than twice the 2 s heartbeat (+1 s grace), each step a heartbeat.
    const task = await enqueue({
      method: `${name}:myapp.api.long_job`,
      arguments: { steps: 7, step_ms: 700 },
      max_retries: 0,
    });
    const done = await waitForStatus(task.name, ["Finished", "Failed"], 30_000);
    expect(done.status, done.error_message).toBe("Finished");
    expect(done.attempt).toBe(1);
  });

  it("refuses callbacks without the attempt's token (401) and after the attempt ended (409)", async () => {
    const { name, host } = await siteTarget();
    const task = await enqueue({ method: `${name}:myapp.api.sync_customer`, arguments: { customer: "C" } });
    await waitForStatus(task.name, "Finished");
    const token = (await siteCalls(host, task.name))[0]?.headers["x-switchyard-callback-token"] ?? "";
    expect(token).not.toBe("");

    const other = await enqueue({ method: `${name}:myapp.api.sync_customer`, arguments: { customer: "D" } });
    await waitForStatus(other.name, "Finished");

    expect((await callback(task.name, "progress", null, { count: 1 })).status).toBe(401);
    expect((await callback(task.name, "progress", "1.AAAA", { count: 1 })).status).toBe(401);
    expect((await callback(other.name, "complete", token, { result: 1 })).status).toBe(401);
    // An API key is not a callback token.
    const withKey = await call(`/api/v1/tasks/${task.name}/complete`, { body: { result: 1 } });
    expect(withKey.status).toBe(401);
    // The right token after the attempt ended: nothing changes.
    const late = await callback(task.name, "complete", token, { result: "late" });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("attempt_over");
    expect((await getTask(task.name)).result).toEqual({ customer: "C", synced: true });
    // Bad bodies are 400, still changing nothing.
    expect((await callback(task.name, "progress", token, { count: -1 })).status).toBe(400);
    expect((await callback(task.name, "fail", token, { permanent: true })).status).toBe(400);
  });
});
