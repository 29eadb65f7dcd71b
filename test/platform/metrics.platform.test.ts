// The metrics as a real Prometheus sees them (issue 19): the platform runs as `npm start` runs it,
// known tasks run, `promtool check metrics` (Debian's prometheus package) accepts a scrape, and a
// real Prometheus server scrapes GET /api/v1/metrics with a Metrics Reader key in its
// `authorization` setting and answers a query with the counts those tasks made.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startPlatform, type Platform } from "../browser/platform";
import { api, waitForAll } from "./support";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
let platform: Platform | undefined;
let prometheus: ChildProcess | undefined;
const scratch = mkdtempSync(join(tmpdir(), "switchyard-prometheus-"));

afterAll(async () => {
  if (prometheus?.pid !== undefined && prometheus.exitCode === null) {
    const gone = new Promise<void>((resolve) => prometheus?.once("exit", () => resolve()));
    prometheus.kill("SIGTERM");
    await gone;
  }
  await platform?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A query's single value from Prometheus' HTTP API (null when there is no such series yet). */
async function queryValue(base: string, query: string): Promise<number | null> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
  if (!res.ok) return null;
  const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
  const value = body.data?.result?.[0]?.value[1];
  return value === undefined ? null : Number(value);
}

describe("metrics under a real Prometheus", () => {
  it("promtool accepts a scrape, and Prometheus scrapes it with a Metrics Reader key", async () => {
    platform = await startPlatform(root);
    const running = platform;
    const key = await api(running, "/api/v1/api-keys", { user: "prometheus", roles: ["Metrics Reader"] });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const reader = key.body.api_key as string;

    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push((await api(running, "/api/v1/tasks", { method: "demo.noop" })).body.name);
    const failed = (await api(running, "/api/v1/tasks", { method: "demo.fail", permanent: true })).body.name as string;
    await waitForAll(running, names, ["Finished"]);
    await waitForAll(running, [failed], ["Failed"]);

    const res = await fetch(`${running.url}/api/v1/metrics`, { headers: { authorization: `token ${reader}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('switchyard_tasks_finished_total{method="demo.noop"} 3');
    expect(text).toContain('switchyard_tasks_failed_final_total{method="demo.fail"} 1');

    // promtool's own parser and linter: exit 0 and no complaint.
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.error, "promtool must be installed (apt-get install prometheus)").toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe("");
    expect(check.status).toBe(0);

    // A real Prometheus scrape, authenticated the way a scrape config does it.
    const port = await freePort();
    const target = new URL(running.url);
    const config = join(scratch, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: switchyard",
        "    metrics_path: /api/v1/metrics",
        "    authorization:",
        "      type: token",
        `      credentials: "${reader}"`,
        "    static_configs:",
        `      - targets: ["${target.host}"]`,
        "",
      ].join("\n"),
    );
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(scratch, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
    const base = `http://127.0.0.1:${port}`;
    await expect
      .poll(() => queryValue(base, 'switchyard_tasks_finished_total{method="demo.noop"}'), { interval: 1000 })
      .toBe(3);
    expect(await queryValue(base, 'up{job="switchyard"}')).toBe(1);
    expect(await queryValue(base, 'switchyard_task_run_seconds_count{method="demo.fail"}')).toBe(1);
  });
});
