#!/usr/bin/env node
// `npm run bench:reports`: prepared-report benchmarks against a local `wrangler dev` that this script
// starts (throwaway state directory, free port) and stops: time to first byte and throughput of
// 100k- and 1M-row results in every format, workerd memory growth between the two sizes, and how
// soon check_status notices a finished job. Results are printed and saved under bench-results/.
//
//   node scripts/bench-reports.mjs [--sizes 100000,1000000] [--probes 10]
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ""), process.argv[i + 1]);
const SIZES = (args.get("sizes") ?? "100000,1000000").split(",").map(Number);
const PROBES = Number(args.get("probes") ?? 10);
const FORMATS = ["json", "csv", "ndjson"];
const KEY = "bench:bench-secret-key";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" };

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Pids of every descendant of `pid` (from /proc). */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // process ended meanwhile
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const comm = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

/** Resident set size in MiB of the workerd processes under the wrangler process. */
function workerdRssMiB(rootPid) {
  let kib = 0;
  for (const pid of descendants(rootPid)) {
    if (comm(pid) !== "workerd") continue;
    try {
      const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
      if (match) kib += Number(match[1]);
    } catch {
      // gone
    }
  }
  return kib / 1024;
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const state = mkdtempSync(join(tmpdir(), "switchyard-bench-reports-"));
const wrangler = "node_modules/.bin/wrangler";
const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
  env,
  stdio: ["ignore", "ignore", "inherit"],
});
if (migrate.status !== 0) throw new Error("migrations failed");
const dev = spawn(
  wrangler,
  [
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    state,
    "--var",
    "DEMO_METHODS:on",
    "--var",
    `ADMIN_API_KEY:${KEY}`,
    "--show-interactive-dev-session=false",
  ],
  { env, stdio: ["ignore", "ignore", "inherit"], detached: true },
);

function stop() {
  for (const pid of [...descendants(dev.pid), dev.pid].reverse()) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  rmSync(state, { recursive: true, force: true });
}
process.on("exit", stop);
process.on("SIGINT", () => process.exit(130));

const headers = { authorization: `token ${KEY}` };
const api = async (path, init = {}) => {
  const res = await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...init.headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/`)).ok) break;
  } catch {
    // not up yet
  }
  if (i > 120) throw new Error("wrangler dev did not start");
  await sleep(500);
}

async function startJob(filters) {
  const res = await api("/api/v1/reports/Demo%20Numbers/jobs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ filters }),
  });
  if (res.status !== 202) throw new Error(`start failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.job_id;
}

async function settle(jobId) {
  for (;;) {
    const res = await api(`/api/v1/report-jobs/${jobId}?wait=25`);
    if (res.body.status === "Completed") return res.body;
    if (res.body.status === "Error") throw new Error(`job failed: ${res.body.error}`);
  }
}

/** Streams a result, timing the first byte and the whole body; counts line breaks. */
async function download(jobId, format) {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/report-jobs/${jobId}/result?format=${format}`, { headers });
  if (res.status !== 200) throw new Error(`result ${format}: ${res.status}`);
  const reader = res.body.getReader();
  let ttfb = null;
  let bytes = 0;
  let newlines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    ttfb ??= performance.now() - t0;
    bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) if (value[i] === 10) newlines++;
  }
  const total = performance.now() - t0;
  // Rows per format: NDJSON one line each; CSV plus a header; JSON one per line between two framing lines.
  const rows = format === "ndjson" ? newlines : format === "csv" ? newlines - 1 : newlines - 2;
  return {
    format,
    ttfb_ms: round(ttfb),
    total_ms: round(total),
    mb: round(bytes / 1e6),
    rows,
    rows_per_s: Math.round(rows / (total / 1000)),
    mb_per_s: round(bytes / 1e6 / (total / 1000)),
  };
}

const round = (x) => Math.round(x * 10) / 10;
const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

// Memory is sampled every 100 ms for the whole run; each phase records its peak.
let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, workerdRssMiB(dev.pid));
}, 100);

// Warm-up: one small job through every format so the first measurement is not the isolate's start.
const warm = await startJob({ rows: 1000 });
await settle(warm);
for (const f of FORMATS) await download(warm, f);
await sleep(500);
const baselineRss = workerdRssMiB(dev.pid);

const sizes = [];
for (const rows of SIZES) {
  peak = workerdRssMiB(dev.pid);
  const t0 = performance.now();
  const jobId = await startJob({ rows });
  const job = await settle(jobId);
  const generateMs = performance.now() - t0;
  const downloads = [];
  for (const f of FORMATS) {
    const d = await download(jobId, f);
    if (d.rows !== rows) throw new Error(`${f}: expected ${rows} rows, counted ${d.rows}`);
    downloads.push(d);
  }
  sizes.push({
    rows,
    generate_s: round(generateMs / 1000),
    generate_rows_per_s: Math.round(rows / (generateMs / 1000)),
    stored_mb: round(job.bytes / 1e6),
    peak_rss_mib: round(peak),
    downloads,
  });
}

// check_status detection delay: a ~2 s job, check_status called at once with a 25 s bound; the delay
// is from the task's recorded end (ended_at) to check_status's answer reaching the client.
const delays = [];
for (let i = 0; i < PROBES; i++) {
  const jobId = await startJob({ rows: 2000 + i, pause_ms: 1000 });
  const url = `${base}/api/method/tweaks.utils.report_long_polling.check_status?job_id=${jobId}&attempts=6&sleep=5&_ts=${Date.now()}`;
  const res = await fetch(url, { headers });
  const answered = Date.now();
  const body = await res.json();
  if (body.message !== 1) throw new Error(`check_status answered ${JSON.stringify(body)}`);
  const job = (await api(`/api/v1/report-jobs/${jobId}`)).body;
  delays.push(answered - Date.parse(job.ended_at));
}
clearInterval(sampler);

const result = {
  when: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`,
  command: `node scripts/bench-reports.mjs --sizes ${SIZES.join(",")} --probes ${PROBES}`,
  baseline_rss_mib: round(baselineRss),
  sizes,
  rss_growth_mib: sizes.length >= 2 ? round(sizes[sizes.length - 1].peak_rss_mib - sizes[0].peak_rss_mib) : null,
  check_status_delay_ms: {
    samples: delays,
    median: percentile(delays, 50),
    p95: percentile(delays, 95),
    max: Math.max(...delays),
  },
};

console.log(JSON.stringify(result, null, 2));
console.log("\n| rows | format | TTFB ms | total ms | MB | rows/s | MB/s |\n|---:|---|---:|---:|---:|---:|---:|");
for (const s of sizes) {
  for (const d of s.downloads) {
    console.log(
      `| ${s.rows} | ${d.format} | ${d.ttfb_ms} | ${d.total_ms} | ${d.mb} | ${d.rows_per_s} | ${d.mb_per_s} |`,
    );
  }
}
mkdirSync("bench-results", { recursive: true });
writeFileSync(`bench-results/reports-${result.when.replace(/[:.]/g, "-")}.json`, JSON.stringify(result, null, 2));
process.exit(0);
