// The standard run's result as text: one table per load scenario (new vs old vs raw), the
// dispatch-only run, how packing decays with load, and the goals with pass/miss.
import { ratio, round } from "./stats.mjs";

/** Goals of issue 16, checked at 12 clients, limit 10, demo.noop (or the first scenario). */
export function goals(result) {
  const s =
    result.scenarios.find((x) => x.clients === 12 && x.methods.length === 1) ??
    result.scenarios.find((x) => x.methods.length === 1) ??
    result.scenarios[0];
  const at = `${s.clients} client${s.clients === 1 ? "" : "s"}, ${s.methods.join("+")}, limit ${result.params.concurrency_limit}`;
  const nw = s.designs.new;
  const old = s.designs.old;
  const list = [];
  const goal = (name, measured, pass, target) => list.push({ goal: name, target, measured, pass });
  goal(
    "D1 statements per task (log writes included)",
    nw.per_task.d1Statements,
    nw.per_task.d1Statements <= 0.3,
    "≤ 0.3",
  );
  goal(
    "billable rows written per task (D1 + object + alarms)",
    nw.per_task.billable_rows_written,
    nw.per_task.billable_rows_written <= 4,
    "≤ 4",
  );
  const usd = nw.cost_usd_per_million_tasks.total;
  goal("$ per million tasks", usd, usd <= 5, "≤ 5");
  goal("$ per million tasks (stretch)", usd, usd <= 4, "≤ 4");
  const overRaw = s.ratios.managed_over_raw.new;
  goal("managed ÷ raw throughput, same run", overRaw, overRaw !== null && overRaw >= 0.5, "≥ 0.5");
  if (old) {
    for (const p of ["p50", "p99"]) {
      const a = nw.latency_ms.enqueue_to_started[p];
      const b = old.latency_ms.enqueue_to_started[p];
      goal(`enqueue→Started ${p} ms (new vs old)`, `${a} vs ${b}`, a <= b, "new ≤ old");
    }
  }
  if (nw.log_lag_ms) {
    goal("log lag p99 ms (logged_at − ended_at)", nw.log_lag_ms.p99, nw.log_lag_ms.p99 <= 1000, "≤ 1000");
  }
  const dispatch = result.dispatch_only;
  if (dispatch?.new_over_old_throughput !== undefined) {
    goal(
      "dispatch-only throughput, new ÷ old",
      dispatch.new_over_old_throughput,
      dispatch.new_over_old_throughput >= 2,
      "≥ 2",
    );
  }
  // D1 statements per task with 4 methods loaded at once, against 1 method at the same clients.
  const four = result.scenarios.find((x) => x.methods.length === 4);
  if (four) {
    const one = result.scenarios.find((x) => x.methods.length === 1 && x.clients === four.clients);
    const a = four.designs.new.per_task.d1Statements;
    if (one) {
      const b = one.designs.new.per_task.d1Statements;
      goal(
        `D1 statements per task, 4 methods vs 1 (${four.clients} clients)`,
        `${a} vs ${b}`,
        a <= b * 1.1 + 0.01,
        "unchanged (within 10 %)",
      );
    } else {
      list.push({ goal: "D1 statements per task, 4 methods", target: "unchanged", measured: a, pass: null });
    }
  }
  return { at, list };
}

const fmt = (x, digits = 3) => {
  if (x === null || x === undefined) return "—";
  if (typeof x === "string") return x;
  return String(round(x, digits));
};

function table(rows) {
  const widths = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, String(cell).length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join("  "),
    )
    .join("\n");
}

function scenarioText(s, result) {
  const labels = Object.keys(s.designs);
  const [a, b] = labels;
  const A = s.designs[a];
  const B = b ? s.designs[b] : null;
  const head = [
    "",
    ...labels.map((l) => (l === "old" ? `old (${result.designs.old.rev})` : l)),
    ...(B ? ["new/old"] : []),
  ];
  const rows = [head];
  const line = (name, get, digits = 3, est = () => false) => {
    const vals = labels.map((l) => get(s.designs[l]));
    rows.push([
      name,
      ...vals.map((v, i) => `${fmt(v, digits)}${est(labels[i]) && v !== null ? " est." : ""}`),
      ...(B ? [fmt(ratio(vals[0], vals[1]))] : []),
    ]);
  };
  const pair = (name, get) => rows.push([name, ...labels.map((l) => get(s.designs[l])), ...(B ? [""] : [])]);
  const oldEst = (l) => l === "old";
  line("tasks/s", (d) => d.tasks_per_s, 1);
  pair(`managed ÷ raw (raw ${s.raw.msgs_per_s} msgs/s)`, (d) => fmt(ratio(d.tasks_per_s, s.raw.msgs_per_s)));
  pair("  per round", (d) => d.rounds.map((r) => fmt(r.over_raw, 2)).join(" "));
  line("enqueue→Started p50 ms", (d) => d.latency_ms.enqueue_to_started.p50, 0);
  line("enqueue→Started p99 ms", (d) => d.latency_ms.enqueue_to_started.p99, 0);
  line("enqueue→Finished p50 ms", (d) => d.latency_ms.enqueue_to_finished.p50, 0);
  line("enqueue→Finished p99 ms", (d) => d.latency_ms.enqueue_to_finished.p99, 0);
  line("enqueue request p50 ms", (d) => d.enqueue_request_ms.p50, 0);
  pair("log lag p50 / p99 / max ms", (d) =>
    d.log_lag_ms ? `${d.log_lag_ms.p50} / ${d.log_lag_ms.p99} / ${d.log_lag_ms.max}` : "— (D1 is the record)",
  );
  rows.push(["per task:", ...labels.map(() => ""), ...(B ? [""] : [])]);
  line("  D1 statements", (d) => d.per_task.d1Statements);
  line("    of which API-key lookups", (d) => d.per_task.d1Statements_key_lookups);
  line("  D1 rows written", (d) => d.per_task.d1RowsWritten);
  line("  D1 rows read", (d) => d.per_task.d1RowsRead, 1);
  line("  object statements", (d) => d.per_task.objectStatements ?? null);
  line("  object rows written", (d) => (d.log_lag_ms ? d.per_task.objectRowsWritten : null));
  line("  alarms set", (d) => d.per_task.alarmsSet, 3, oldEst);
  line("  billable rows written", (d) => d.per_task.billable_rows_written, 3, oldEst);
  line("  object rows read", (d) => d.per_task.objectRowsRead ?? null, 1);
  line("  DO requests", (d) => d.per_task.doRequests);
  line("  queue messages", (d) => d.per_task.queueMessages);
  line("  tasks per message", (d) => d.per_task.tasks_per_message, 2);
  line("  messages per consumer batch", (d) => d.messages_per_consumer_batch, 2);
  line("  Worker invocations", (d) => d.per_task.invocations, 3, oldEst);
  line("$ per million tasks", (d) => d.cost_usd_per_million_tasks.total, 2, oldEst);
  for (const k of Object.keys(A.cost_usd_per_million_tasks.lines)) {
    const estimated = (l) => l === "old" && (k === "object_rows_written" || k === "worker_requests");
    line(
      `  ${k.replaceAll("_", " ")}`,
      (d) => d.cost_usd_per_million_tasks.lines[k]?.usd_per_million_tasks ?? null,
      3,
      estimated,
    );
  }
  const title =
    `== ${s.clients} client${s.clients === 1 ? "" : "s"}, ${s.methods.join(" + ")}, limit ${result.params.concurrency_limit}: ` +
    `${s.tasks} tasks per design in ${s.rounds} interleaved rounds (load ${s.loadavg_1m_after_rounds.join(", ")}) ==`;
  return `${title}\n${table(rows)}\n`;
}

export function text(result) {
  const out = [];
  const { designs, machine } = result;
  out.push(
    `switchyard benchmark ${result.date}: new = ${designs.new.rev}${designs.old ? `, old = ${designs.old.rev}` : ""}; ` +
      `${machine.nproc} cores (${machine.cpu_model}), wrangler ${machine.wrangler}, load at start ${machine.loadavg_at_start.join(" ")}`,
  );
  out.push(`command: ${result.command}`);
  out.push(
    "Counts per task are the stacks' own counters less the benchmark's reads and polls; 'est.' marks the old design's " +
      "uncounted lines (alarms from its D1 statements, invocations from the client and wrangler's log). Throughput " +
      "and latency are local and noisy: compare the interleaved ratios.\n",
  );
  for (const s of result.scenarios) out.push(scenarioText(s, result));
  if (result.scenarios.length > 1) {
    const labels = Object.keys(result.scenarios[0].designs);
    const rows = [
      [
        "clients × methods",
        ...labels.flatMap((l) => [`${l} tasks/msg`, `${l} rows/task`, `${l} D1 stmt/task`, `${l} $/M`]),
        "new/old tasks/s",
      ],
    ];
    for (const s of result.scenarios) {
      rows.push([
        `${s.clients} × ${s.methods.length}`,
        ...labels.flatMap((l) => {
          const d = s.designs[l];
          return [
            fmt(d.per_task.tasks_per_message, 2),
            fmt(d.per_task.billable_rows_written, 2),
            fmt(d.per_task.d1Statements, 3),
            fmt(d.cost_usd_per_million_tasks.total, 2),
          ];
        }),
        fmt(s.ratios.new_over_old?.tasks_per_s ?? null),
      ]);
    }
    out.push(`== packing by load ==\n${table(rows)}\n`);
  }
  const dispatch = result.dispatch_only;
  if (dispatch) {
    const labels = Object.keys(dispatch.designs);
    const rows = [["", ...labels]];
    const line = (name, get, digits = 3) =>
      rows.push([name, ...labels.map((l) => fmt(get(dispatch.designs[l]), digits))]);
    line("tasks/s", (d) => d.tasks_per_s, 1);
    rows.push(["duration s (per rep)", ...labels.map((l) => dispatch.designs[l].duration_s.join(" "))]);
    line("resume→Started p50 ms", (d) => d.resume_to_started_ms.p50, 0);
    line("D1 statements / task", (d) => d.per_task.d1Statements);
    line("  of which API-key lookups", (d) => d.per_task.d1Statements_key_lookups);
    line("billable rows written / task", (d) => d.per_task.billable_rows_written);
    line("DO requests / task", (d) => d.per_task.doRequests);
    line("tasks per message", (d) => d.per_task.tasks_per_message, 2);
    line("$ per million tasks", (d) => d.cost_usd_per_million_tasks.total, 2);
    rows.push(["log lag p99 ms", ...labels.map((l) => fmt(dispatch.designs[l].log_lag_ms?.p99 ?? null))]);
    out.push(
      `== dispatch only: ${dispatch.tasks} tasks bulk-enqueued (dispatcher off), resumed; ${dispatch.reps} interleaved reps ==\n` +
        `${table(rows)}\nnew ÷ old throughput: ${fmt(dispatch.new_over_old_throughput ?? null)}\n`,
    );
  }
  const g = result.goals;
  const rows = [["goal", "target", "measured", ""]];
  for (const x of g.list)
    rows.push([x.goal, x.target, fmt(x.measured), x.pass === null ? "?" : x.pass ? "pass" : "MISS"]);
  out.push(`== goals (at ${g.at}) ==\n${table(rows)}\n`);
  return out.join("\n");
}
