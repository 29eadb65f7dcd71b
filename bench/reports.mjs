#!/usr/bin/env node
// `npm run bench:reports`: prepared-report benchmarks against a local `wrangler dev` that this script
// starts (throwaway state directory, free port) and stops: time to first byte and throughput of
// 100k- and 1M-row results in every format, the Worker isolate's JS heap during each job and
// download (through the inspector port: what a deployed isolate's 128 MB limit is about), workerd
// process memory growth between the two sizes, and how soon check_status notices a finished job.
// Results are printed and saved under bench/results/ (git-ignored).
//
//   node bench/reports.mjs [--sizes 100000,1000000] [--probes 10] [--formats json,csv,ndjson] [--control off]
//
// The control run puts and reads objects of the same sizes through local R2 from a bare Worker, so
// the runtime's own R2 costs (time to first byte, memory) can be told apart from the report code's.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { heapSampler } from "./heap-sampler.mjs";
import { freePort, root } from "./stack.mjs";
import { percentileOf, round as roundTo, sleep } from "./stats.mjs";

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ""), process.argv[i + 1]);
const SIZES = (args.get("sizes") ?? "100000,1000000").split(",").map(Number);
const PROBES = Number(args.get("probes") ?? 10);
const FORMATS = (args.get("formats") ?? "json,csv,ndjson").split(",");
const KEY = "bench:bench-secret-key";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" };

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

/** Resident set size in MiB of each workerd process under the wrangler process, by pid. */
function workerdRss(rootPid) {
  const out = {};
  for (const pid of descendants(rootPid)) {
    if (comm(pid) !== "workerd") continue;
    try {
      const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
      if (match) out[pid] = Number(match[1]) / 1024;
    } catch {
      // gone
    }
  }
  return out;
}

/** Total RSS (MiB) of the workerd processes. */
const workerdRssMiB = (rootPid) => Object.values(workerdRss(rootPid)).reduce((a, b) => a + b, 0);

const port = await freePort();
const inspectorPort = await freePort();
const base = `http://127.0.0.1:${port}`;
const state = mkdtempSync(join(tmpdir(), "switchyard-bench-reports-"));
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
  cwd: root,
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
    "METRICS:on",
    "--var",
    `ADMIN_API_KEY:${KEY}`,
    "--show-interactive-dev-session=false",
    "--inspector-port",
    String(inspectorPort),
  ],
  {
    cwd: root,
    env: { ...env, CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  },
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

const CONTROL_WORKER = `
const PART = 5 * 1024 * 1024;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("key");
    if (url.pathname === "/put") {
      // Incompressible bytes, like a gzip result, in equal 5 MiB parts.
      let left = Number(url.searchParams.get("bytes"));
      const upload = await env.B.createMultipartUpload(key);
      const parts = [];
      for (let n = 1; left > 0; n++) {
        const part = new Uint8Array(Math.min(PART, left));
        for (let i = 0; i < part.length; i += 65536) crypto.getRandomValues(part.subarray(i, i + 65536));
        parts.push(await upload.uploadPart(n, part));
        left -= part.length;
      }
      await upload.complete(parts);
      return new Response("ok");
    }
    if (url.pathname === "/get") return new Response((await env.B.get(key)).body);
    return new Response("up");
  },
};`;

/** Runs the control Worker on its own wrangler dev and measures R2 put + get of each size. */
async function r2Control(sizesMb) {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-bench-r2-"));
  writeFileSync(join(dir, "worker.js"), CONTROL_WORKER);
  writeFileSync(
    join(dir, "wrangler.toml"),
    'name = "r2-control"\nmain = "worker.js"\ncompatibility_date = "2026-11-01"\n[[r2_buckets]]\nbinding = "B"\nbucket_name = "control"\n',
  );
  const controlPort = await freePort();
  const proc = spawn(
    wrangler,
    ["dev", "--config", join(dir, "wrangler.toml"), "--port", String(controlPort), "--ip", "127.0.0.1"].concat([
      "--persist-to",
      join(dir, "state"),
      "--show-interactive-dev-session=false",
    ]),
    { env, stdio: ["ignore", "ignore", "inherit"] },
  );
  const url = `http://127.0.0.1:${controlPort}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(url)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 120) throw new Error("control wrangler dev did not start");
      await sleep(500);
    }
    const start = workerdRssMiB(proc.pid);
    const objects = [];
    for (const mb of sizesMb) {
      let top = workerdRssMiB(proc.pid);
      const timer = setInterval(() => (top = Math.max(top, workerdRssMiB(proc.pid))), 100);
      const key = `o${mb}`;
      await (await fetch(`${url}/put?key=${key}&bytes=${Math.round(mb * 1e6)}`)).text();
      const t0 = performance.now();
      const res = await fetch(`${url}/get?key=${key}`);
      const reader = res.body.getReader();
      let ttfb = null;
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        ttfb ??= performance.now() - t0;
      }
      clearInterval(timer);
      objects.push({ mb, ttfb_ms: round(ttfb), total_ms: round(performance.now() - t0), peak_rss_mib: round(top) });
    }
    return { start_rss_mib: round(start), objects };
  } finally {
    for (const pid of [...descendants(proc.pid), proc.pid].reverse()) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const headers = { authorization: `token ${KEY}` };
const api = async (path, init = {}) => {
  const res = await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...init.headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

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

const round = (x) => roundTo(x, 1);

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
const heap = await heapSampler(inspectorPort);
const baselineHeap = await heap.live();

/** Runs `fn` as a heap phase: the isolate's live heap before and after it, and its peak while it ran. */
async function heapDuring(fn) {
  const phase = await heap.phase();
  const value = await fn();
  return { value, heap: await phase.end() };
}

const sizes = [];
/** Runs `fn` and returns its result with the peak total workerd RSS seen while it ran. */
async function peakDuring(fn) {
  peak = workerdRssMiB(dev.pid);
  const value = await fn();
  return { value, peak: round(peak) };
}
for (const rows of SIZES) {
  const { value: generated, heap: jobHeap } = await heapDuring(() =>
    peakDuring(async () => {
      const t0 = performance.now();
      const jobId = await startJob({ rows });
      return { jobId, job: await settle(jobId), ms: performance.now() - t0 };
    }),
  );
  const { jobId, job, ms: generateMs } = generated.value;
  const downloads = [];
  for (const f of FORMATS) {
    const { value: measured, heap: downloadHeap } = await heapDuring(() => peakDuring(() => download(jobId, f)));
    const { value: d, peak: p } = measured;
    if (d.rows !== rows) throw new Error(`${f}: expected ${rows} rows, counted ${d.rows}`);
    downloads.push({ ...d, peak_rss_mib: p, heap_mib: downloadHeap });
  }
  sizes.push({
    rows,
    generate_s: round(generateMs / 1000),
    generate_rows_per_s: Math.round(rows / (generateMs / 1000)),
    stored_mb: round(job.bytes / 1e6),
    generate_peak_rss_mib: generated.peak,
    generate_heap_mib: jobHeap,
    peak_heap_mib: Math.max(jobHeap.peak_mib, ...downloads.map((d) => d.heap_mib.peak_mib)),
    peak_rss_mib: Math.max(generated.peak, ...downloads.map((d) => d.peak_rss_mib)),
    rss_after_mib: round(workerdRssMiB(dev.pid)),
    rss_by_process_mib: Object.fromEntries(Object.entries(workerdRss(dev.pid)).map(([k, v]) => [k, round(v)])),
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
heap.close();

// Control: the same object sizes through local R2 alone (a bare Worker that only puts a multipart
// object and streams it back), to tell the local runtime's own R2 costs from ours.
const control = args.get("control") === "off" ? null : await r2Control(sizes.map((s) => s.stored_mb));

const result = {
  when: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`,
  command: `node bench/reports.mjs --sizes ${SIZES.join(",")} --probes ${PROBES}`,
  baseline_rss_mib: round(baselineRss),
  heap_target: heap.target,
  baseline_heap_mib: baselineHeap,
  heap_growth_mib: sizes.length >= 2 ? round(sizes[sizes.length - 1].peak_heap_mib - sizes[0].peak_heap_mib) : null,
  sizes,
  rss_growth_mib: sizes.length >= 2 ? round(sizes[sizes.length - 1].peak_rss_mib - sizes[0].peak_rss_mib) : null,
  r2_control: control,
  check_status_delay_ms: {
    samples: delays,
    median: percentileOf(delays, 50),
    p95: percentileOf(delays, 95),
    max: Math.max(...delays),
  },
};

console.log(JSON.stringify(result, null, 2));
if (control) {
  console.log("\n| R2 alone: object MB | get TTFB ms | get total ms | peak RSS MiB |\n|---:|---:|---:|---:|");
  for (const c of control.objects) console.log(`| ${c.mb} | ${c.ttfb_ms} | ${c.total_ms} | ${c.peak_rss_mib} |`);
}
console.log(
  "\n| rows | phase | live heap before, MiB | peak used heap, MiB | live heap after, MiB |\n|---:|---|---:|---:|---:|",
);
const heapRow = (rows, phase, h) =>
  console.log(`| ${rows} | ${phase} | ${h.live_before_mib} | ${h.peak_mib} | ${h.live_after_mib} |`);
for (const s of sizes) {
  heapRow(s.rows, "job", s.generate_heap_mib);
  for (const d of s.downloads) {
    heapRow(s.rows, `${d.format} download`, d.heap_mib);
  }
}
console.log(
  "\n| rows | format | TTFB ms | total ms | MB | rows/s | MB/s | peak RSS MiB |\n|---:|---|---:|---:|---:|---:|---:|---:|",
);
for (const s of sizes) {
  for (const d of s.downloads) {
    console.log(
      `| ${s.rows} | ${d.format} | ${d.ttfb_ms} | ${d.total_ms} | ${d.mb} | ${d.rows_per_s} | ${d.mb_per_s} | ${d.peak_rss_mib} |`,
    );
  }
}
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(
  join(root, "bench", "results", `reports-${result.when.replace(/[:.]/g, "-")}.json`),
  JSON.stringify(result, null, 2),
);
process.exit(0);
