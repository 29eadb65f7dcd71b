// `npm run bench -- --schedules S [--schedule-seconds T]`: fire lag of scheduled jobs. Called by
// bench/bench.mjs with the stack running (`ctx`); returns one JSON section.
//
// S schedules of `method` every 10 s (plus one `* * * * *` cron in Europe/Berlin) run for T seconds
// on their timers' alarms alone (the minute cron of `npm start` is not running here). Afterwards
// every run log is read: fire lag = enqueue time − slot (jitter-free frequencies), per run; and every
// slot must have exactly one task. See docs/benchmarks.md.
import { expectStatus, log } from "./stack.mjs";
import { roundSummary, sleep } from "./stats.mjs";

/**
 * @param {object} ctx the running stack from bench/bench.mjs
 * @param {{ schedules: number, seconds: number, method: string }} params
 */
export async function schedulesBench(ctx, { schedules, seconds, method }) {
  const { api } = ctx;
  const tag = Math.random().toString(36).slice(2, 8);
  const names = [];
  const specs = Array.from({ length: schedules }, (_, i) => ({
    name: `bench-${tag}-${i}`,
    method,
    frequency: "every",
    every_s: 10,
    overlap: "allow",
    missed: "all",
  }));
  specs.push({ name: `bench-${tag}-cron`, method, frequency: "cron", cron: "* * * * *", timezone: "Europe/Berlin" });
  for (const spec of specs) {
    expectStatus(await api("POST", "/api/v1/scheduled-jobs", spec), 201, "create schedule");
    names.push(spec.name);
  }
  const started = Date.now();
  log(`schedules: ${names.length} created; letting them fire for ${seconds} s`);
  await sleep(seconds * 1000);
  for (const name of names) expectStatus(await api("POST", `/api/v1/scheduled-jobs/${name}/stop`, {}), 200, "stop");
  const ended = Date.now();

  const lags = [];
  let duplicates = 0;
  let runs = 0;
  let expected = 0;
  let missed = 0;
  for (const name of names) {
    const page = expectStatus(await api("GET", `/api/v1/scheduled-jobs/${name}/runs?limit=500`), 200, "runs");
    const slots = new Set();
    for (const run of page.data) {
      if (run.outcome === "missed") missed += run.count;
      if (run.outcome !== "enqueued") continue;
      runs++;
      if (slots.has(run.slot)) duplicates++;
      slots.add(run.slot);
      lags.push(run.lag_ms);
    }
    expected += name.endsWith("-cron")
      ? Math.floor(ended / 60_000) - Math.floor(started / 60_000)
      : Math.floor(ended / 10_000) - Math.floor(started / 10_000);
  }
  return {
    schedules: names.length,
    seconds,
    runs,
    slots_expected_about: expected,
    missed_counted: missed,
    duplicate_runs_of_a_slot: duplicates,
    fire_lag_ms: roundSummary(lags),
    target: "p99 <= 5000 ms",
    note: "lag = run enqueued − slot, from each schedule's run log; the timers' alarms alone (no cron)",
  };
}
