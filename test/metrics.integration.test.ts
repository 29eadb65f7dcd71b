// GET /api/v1/metrics: the method objects' counters after known tasks (by counts), the live figures,
// remote target counters, what survives an eviction, who may read them, and bad parameters.
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FAR_FUTURE, expectErrorEnvelope } from "./api-support";
import { call, createKey, enqueue, setTaskType, waitForStatus } from "./helpers";
import { siteTarget, waitForCalls } from "./remote-support";

/** One sample's value from the Prometheus text (0 when the series is absent). */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function scrape(query = ""): Promise<string> {
  const res = await call(`/api/v1/metrics${query}`);
  expect(res.status, String(res.body)).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.body as string;
}

const m = (name: string, method: string, extra = "") => `${name}{method="${method}"${extra}}`;

describe("the metrics endpoint", () => {
  it("counts started, finished, failed, retried and canceled attempts and observes their waits and runs", async () => {
    const before = await scrape();
    const ok = await Promise.all([1, 2, 3].map(() => enqueue({ method: "demo.noop" })));
    const bad = await Promise.all([1, 2].map(() => enqueue({ method: "demo.fail", permanent: true })));
    // Fails once, is retried automatically, then succeeds.
    const flaky = await enqueue({ method: "demo.fail", fail_attempts: 1, max_retries: 1 });
    const later = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE });
    for (const t of ok) await waitForStatus(t.name, "Finished");
    for (const t of bad) await waitForStatus(t.name, "Failed");
    await waitForStatus(flaky.name, "Finished");
    expect((await call(`/api/v1/tasks/${later.name}/cancel`, { body: {} })).status).toBe(200);

    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta(m("switchyard_tasks_started_total", "demo.noop"))).toBe(3);
    expect(delta(m("switchyard_tasks_finished_total", "demo.noop"))).toBe(3);
    expect(delta(m("switchyard_tasks_canceled_total", "demo.noop"))).toBe(1);
    expect(delta(m("switchyard_tasks_started_total", "demo.fail"))).toBe(4);
    expect(delta(m("switchyard_tasks_failed_total", "demo.fail"))).toBe(3);
    expect(delta(m("switchyard_tasks_failed_final_total", "demo.fail"))).toBe(2);
    expect(delta(m("switchyard_tasks_retried_total", "demo.fail"))).toBe(1);
    expect(delta(m("switchyard_tasks_finished_total", "demo.fail"))).toBe(1);
    // Every start observed one wait, every ended run one run time; +Inf holds them all.
    expect(delta(`switchyard_task_wait_seconds_count{method="demo.noop"}`)).toBe(3);
    expect(delta(`switchyard_task_wait_seconds_bucket{method="demo.noop",le="+Inf"}`)).toBe(3);
    expect(delta(`switchyard_task_run_seconds_count{method="demo.fail"}`)).toBe(4);
    expect(after).toContain("# TYPE switchyard_task_wait_seconds histogram");
    expect(after).toContain("# TYPE switchyard_tasks_started_total counter");
    expect(sample(after, "switchyard_dispatcher_enabled")).toBe(1);

    // The console's JSON is the same figures.
    const json = await call("/api/v1/metrics?format=json");
    expect(json.status).toBe(200);
    const noop = json.body.methods.find((x: { method: string }) => x.method === "demo.noop");
    expect(noop.finished).toBe(sample(after, m("switchyard_tasks_finished_total", "demo.noop")));
  });

  it("shows tasks by state and the oldest waiting task's age while the dispatcher is off", async () => {
    const method = "demo.sleep";
    await call("/api/v1/dispatcher", { method: "PUT", body: { enabled: false } });
    try {
      const waiting = await Promise.all([1, 2].map(() => enqueue({ method, ms: 1 })));
      const text = await scrape(`?method=${method}`);
      expect(sample(text, `switchyard_tasks{method="${method}",state="Pending"}`)).toBe(2);
      expect(sample(text, "switchyard_dispatcher_enabled")).toBe(0);
      expect(text).toMatch(new RegExp(`^switchyard_oldest_waiting_task_age_seconds\\{method="${method}"\\} \\d`, "m"));
      for (const t of waiting) await call(`/api/v1/tasks/${t.name}/cancel`, { body: {} });
      const gone = await scrape(`?method=${method}`);
      expect(sample(gone, `switchyard_tasks{method="${method}",state="Pending"}`)).toBe(0);
      expect(sample(gone, `switchyard_oldest_waiting_task_age_seconds{method="${method}"}`)).toBe(0);
    } finally {
      await call("/api/v1/dispatcher", { method: "PUT", body: { enabled: true } });
    }
  });

  it("keeps the counters across an eviction of the method's object", async () => {
    const t = await enqueue({ method: "demo.echo", n: 1 });
    await waitForStatus(t.name, "Finished");
    const stub = env.METHOD_TASKS.getByName("demo.echo");
    await stub.flushNow();
    const before = sample(await scrape("?method=demo.echo"), m("switchyard_tasks_finished_total", "demo.echo"));
    expect(before).toBeGreaterThanOrEqual(1);
    await evictDurableObject(stub);
    const after = sample(await scrape("?method=demo.echo"), m("switchyard_tasks_finished_total", "demo.echo"));
    expect(after).toBe(before);
  });

  it("counts remote calls, failures and refused credentials per target", async () => {
    const good = await siteTarget();
    const refused = await siteTarget({ credentials: { api_key: "demo-key", api_secret: "wrong-secret" } });
    const done = await enqueue({ method: `${good.name}:myapp.api.sync_customer`, customer: "C-1" });
    const denied = await enqueue({ method: `${refused.name}:myapp.api.sync_customer`, customer: "C-2" });
    await waitForStatus(done.name, "Finished");
    await waitForStatus(denied.name, "Failed");
    const text = await scrape();
    expect(sample(text, `switchyard_remote_calls_total{target="${good.name}"}`)).toBe(1);
    expect(sample(text, `switchyard_remote_call_failures_total{target="${good.name}"}`)).toBe(0);
    expect(sample(text, `switchyard_remote_calls_total{target="${refused.name}"}`)).toBe(1);
    expect(sample(text, `switchyard_remote_call_failures_total{target="${refused.name}"}`)).toBe(1);
    expect(sample(text, `switchyard_remote_auth_failures_total{target="${refused.name}"}`)).toBe(1);
    expect(sample(text, `switchyard_remote_target_auth_failed{target="${refused.name}"}`)).toBe(1);
  });

  it("counts an outcome once: a repeated complete callback is refused and changes no counter", async () => {
    const target = await siteTarget();
    const method = `${target.name}:myapp.api.long_job`;
    const task = await enqueue({ method, steps: 1, step_ms: 0 });
    await waitForStatus(task.name, "Finished");
    const [received] = await waitForCalls(target.host, task.name, (calls) => calls[0]?.background === "done");
    const token = received?.headers["x-switchyard-callback-token"] ?? "";
    const before = await scrape(`?method=${encodeURIComponent(method)}`);
    expect(sample(before, m("switchyard_tasks_finished_total", method))).toBe(1);
    const again = await call(`/api/v1/tasks/${task.name}/complete`, {
      key: null,
      headers: { authorization: `Bearer ${token}` },
      body: { result: { again: true } },
    });
    expect(again.status).toBe(409);
    const after = await scrape(`?method=${encodeURIComponent(method)}`);
    for (const name of ["switchyard_tasks_finished_total", "switchyard_tasks_started_total"]) {
      expect(sample(after, m(name, method)), name).toBe(sample(before, m(name, method)));
    }
    expect(sample(after, `switchyard_remote_calls_total{target="${target.name}"}`)).toBe(1);
  });

  it("counts what flow control holds back and refuses: throttled waiting tasks, rate-limited tasks", async () => {
    const method = "demo.customer";
    const before = await scrape();
    // A throttle of one start an hour: the first task runs, the next two are held back.
    await setTaskType(method, { concurrency_limit: 0, flow_control: { throttle: { limit: 1, period: "1h" } } });
    const held = [];
    for (const customer of ["m1", "m2", "m3"]) held.push(await enqueue({ method, arguments: { customer } }));
    await waitForStatus((held[0] as { name: string }).name, "Finished");
    const throttledNow = await scrape();
    expect(sample(throttledNow, m("switchyard_tasks_throttled", method))).toBe(2);
    expect(throttledNow).toContain("# TYPE switchyard_tasks_throttled gauge");
    for (const t of held.slice(1))
      expect((await call(`/api/v1/tasks/${t.name}/cancel`, { body: {} })).status).toBe(200);
    // A rate limit of one per customer an hour: the second task of a customer is refused.
    await setTaskType(method, { flow_control: { rateLimit: { limit: 1, period: "1h", key: "arguments.customer" } } });
    const first = await enqueue({ method, arguments: { customer: "rl-metrics" } });
    const refused = await enqueue({ method, arguments: { customer: "rl-metrics" } });
    expect(refused.flow_outcome).toBe("rate_limited");
    await waitForStatus(first.name, "Finished");
    const after = await scrape();
    const series = m("switchyard_tasks_rate_limited_total", method);
    expect(sample(after, series) - sample(before, series)).toBe(1);
    expect(after).toContain("# TYPE switchyard_tasks_rate_limited_total counter");
    expect(sample(after, m("switchyard_tasks_throttled", method))).toBe(0);
    await setTaskType(method, { flow_control: null });
  });

  it("is for System Managers and Metrics Readers: a Task User is refused, no key is a 401", async () => {
    const reader = await createKey("prometheus", ["Metrics Reader"]);
    const user = await createKey("ana", ["Task User"]);
    expect((await call("/api/v1/metrics", { key: reader })).status).toBe(200);
    const refused = await call("/api/v1/metrics", { key: user });
    expectErrorEnvelope(refused, 403);
    expect((await call("/api/v1/metrics", { key: null })).status).toBe(401);
    // A reader's key reads metrics, not the admin's resources.
    expect((await call("/api/v1/ops", { key: reader })).status).toBe(403);
  });

  it("refuses unknown parameters, families, formats and methods with a 400 naming them", async () => {
    const window = await call("/api/v1/metrics?window=5m");
    expectErrorEnvelope(window, 400, "invalid_parameter");
    expect(window.body.error.message).toContain("window");
    const family = await call("/api/v1/metrics?family=switchyard_nope_total");
    expectErrorEnvelope(family, 400, "invalid_family");
    expect(family.body.error.details[0].path).toBe("family");
    expectErrorEnvelope(await call("/api/v1/metrics?format=xml"), 400, "invalid_format");
    expectErrorEnvelope(await call("/api/v1/metrics?method=no.such.method"), 400, "invalid_method");
    // A known family keeps only that family.
    const only = await scrape("?family=switchyard_dispatcher_enabled");
    expect(only.split("\n").filter((l) => l !== "" && !l.startsWith("#"))).toEqual([
      expect.stringMatching(/^switchyard_dispatcher_enabled [01]$/),
    ]);
  });
});
