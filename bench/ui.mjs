#!/usr/bin/env node
// `npm run bench:ui`: the console's first page with 100,000 tasks in D1. Seeds the tasks into a fresh
// local state folder, starts the platform as `npm start` does, then measures the server time of the
// first tasks page (plain, by status, by an argument, as a Task User), of /api/v1/stats and of /ui.
// Options: --tasks N (default 100000), --requests N (default 120, at least 100).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform } from "../test/browser/platform.ts";
import { percentile } from "./stats.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const TASKS = arg("--tasks", 100_000);
const REQUESTS = Math.max(100, arg("--requests", 120));
const root = join(import.meta.dirname, "..");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" };

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const encodeTime = (ms) => {
  let out = "";
  for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) out = ALPHABET[t % 32] + out;
  return out;
};
const randomPart = () => Array.from(randomBytes(16), (b) => ALPHABET[b % 32]).join("");
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

/** 100k tasks over the last 7 days: 5 methods, 5 owners, 1,000 customers; mostly Finished. */
function seedSql(state) {
  const now = Date.now();
  const methods = ["invoices.sync", "reports.build", "mail.send", "erp.import", "demo.sleep"];
  const owners = ["alice", "bob", "carol", "dave", "Administrator"];
  const rows = [];
  for (let i = 0; i < TASKS; i++) {
    const created = now - Math.floor(((TASKS - i) / TASKS) * 7 * 86_400_000);
    const status = i % 50 === 0 ? "Failed" : i % 97 === 0 ? "Canceled" : "Finished";
    const took = 0.05 + (i % 400) / 100;
    const customer = `CUST-${String(i % 1000).padStart(4, "0")}`;
    const args = JSON.stringify({ customer, qty: i % 17, items: [{ code: `SKU-${i % 250}` }] });
    const method = methods[i % methods.length];
    rows.push(
      `(${q(encodeTime(created) + randomPart())},${q(`${method} ${customer}`)},${q(method)},'default',300,${q(args)},${q(status)},${q(owners[i % owners.length])},${created},${created + 10},${created + 20},${created + 20 + Math.round(took * 1000)},${took},1,${status === "Failed" ? q("Error: boom") : "NULL"})`,
    );
  }
  // D1 caps a statement at 100 KB: 100 rows of ~300 bytes each.
  const chunks = [];
  for (let i = 0; i < rows.length; i += 100) {
    chunks.push(
      "INSERT INTO tasks (name, job_name, method, queue, timeout, arguments, status, owner, created_at, queued_at, started_at, ended_at, time_taken, attempt, error_message) VALUES\n" +
        rows.slice(i, i + 100).join(",\n") +
        ";",
    );
  }
  const file = join(state, "seed.sql");
  writeFileSync(file, chunks.join("\n"));
  return file;
}

function wrangler(args) {
  const r = spawnSync("npx", ["wrangler", ...args], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed`);
}

async function measure(label, url, headers) {
  const times = [];
  let status = 0;
  let rows = null;
  for (let i = 0; i < REQUESTS + 5; i++) {
    const start = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.text();
    const ms = performance.now() - start;
    status = res.status;
    if (i >= 5) times.push(ms); // the first few warm the isolate and SQLite's page cache
    if (rows === null && res.headers.get("content-type")?.includes("json"))
      rows = JSON.parse(body).data?.length ?? null;
  }
  times.sort((a, b) => a - b);
  const pct = (p) => percentile(times, p);
  const line = {
    label,
    status,
    rows,
    n: times.length,
    p50: pct(50).toFixed(1),
    p95: pct(95).toFixed(1),
    max: times[times.length - 1].toFixed(1),
  };
  console.log(
    `${label.padEnd(46)} status ${status}  rows ${String(rows ?? "-").padStart(3)}  p50 ${line.p50.padStart(7)} ms  p95 ${line.p95.padStart(7)} ms  max ${line.max} ms`,
  );
  return line;
}

const state = mkdtempSync(join(tmpdir(), "switchyard-bench-ui-"));
console.log(`Seeding ${TASKS.toLocaleString()} tasks into a fresh local D1 (${state}) …`);
wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, "--file", seedSql(state)]);
const platform = await startPlatform(root, 240_000, state);
try {
  const admin = { authorization: `token ${platform.adminKey}` };
  const created = await fetch(`${platform.url}/api/v1/api-keys`, {
    method: "POST",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ user: "alice", roles: ["Task User"] }),
  }).then((r) => r.json());
  const alice = { authorization: `token ${created.api_key}` };
  const base = `${platform.url}/api/v1/tasks?limit=50`;
  console.log(
    `\n${REQUESTS} sequential requests each, after 5 warm-up requests (times measured by the client over loopback):`,
  );
  await measure("GET /api/v1/tasks?limit=50 (admin)", base, admin);
  await measure("… &status=Failed", `${base}&status=Failed`, admin);
  await measure("… &status=Pending (none exist: full scan)", `${base}&status=Pending`, admin);
  await measure(
    '… &arg=customer="CUST-0042" (100 match)',
    `${base}&arg=${encodeURIComponent('customer="CUST-0042"')}`,
    admin,
  );
  await measure(
    '… &arg=customer="CUST-9999" (none: full scan)',
    `${base}&arg=${encodeURIComponent('customer="CUST-9999"')}`,
    admin,
  );
  await measure("GET /api/v1/tasks?limit=50 (Task User alice)", base, alice);
  await measure("GET /api/v1/stats (admin)", `${platform.url}/api/v1/stats`, admin);
  await measure("GET /ui/ (static asset)", `${platform.url}/ui/`, {});
  await measure("GET /ui/app.js (static asset)", `${platform.url}/ui/app.js`, {});
} finally {
  await platform.stop();
  rmSync(state, { recursive: true, force: true });
}
