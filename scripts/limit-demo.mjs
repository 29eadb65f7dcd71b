#!/usr/bin/env node
// `npm run demo:limit`: against a running platform (`npm start`), limits demo.sleep to 3 at once,
// enqueues 50 sleep tasks, cancels one while it waits, and checks from the tasks' own timestamps
// that all others finished, never more than 3 ran at once, and the canceled one never started.
// Options: --url (default: http://localhost:$PORT, as `npm start` uses; PORT defaults to 8787)
//          --key <key:secret> (default: ADMIN_API_KEY from .dev.vars)
import { parseArgs } from "node:util";
import { createClient } from "../clients/typescript/dist/index.js";
import { adminKey, platformUrl, progressLine, requirePlatform } from "./demo-support.mjs";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    key: { type: "string" },
  },
});
const key = adminKey(values.key);
const url = platformUrl(values.url);
if (!key) {
  console.error("No API key: pass --key <key:secret> or run `npm start` first (it writes .dev.vars).");
  process.exit(2);
}
await requirePlatform(url);
const base = url.replace(/\/+$/, "");
const headers = { authorization: `token ${key}`, "content-type": "application/json" };
const api = async (method, path, body) => {
  const res = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
};
const client = createClient({ baseUrl: base, apiKey: key });

await api("PUT", "/api/v1/task-types/demo.sleep", { concurrency_limit: 3 });
const tasks = [];
for (let i = 0; i < 50; i++) tasks.push(await client.enqueue({ method: "demo.sleep", arguments: { ms: 300 } }));
// The last one is still waiting behind 49 others: cancel it.
const victim = tasks.at(-1);
const canceled = await client.cancel(victim.name, "changed my mind");
console.log(
  `enqueued 50 × demo.sleep(300 ms) with concurrency_limit 3; canceled ${victim.name} while ${canceled.status === "Canceled" ? "it waited" : canceled.status}`,
);

let maxSeen = 0;
const line = progressLine();
const others = tasks.slice(0, -1).map((t) => t.name);
for (;;) {
  const ops = await api("GET", "/api/v1/ops");
  const m = ops.methods.find((x) => x.method === "demo.sleep");
  maxSeen = Math.max(maxSeen, (m?.queued ?? 0) + (m?.started ?? 0));
  const done = (await Promise.all(others.slice(-5).map((n) => client.getTask(n)))).every(
    (t) => t.status === "Finished",
  );
  line.update(`in flight now ${(m?.queued ?? 0) + (m?.started ?? 0)}, pending ${m?.pending ?? 0}`);
  if (done && (m?.pending ?? 0) === 0 && (m?.queued ?? 0) + (m?.started ?? 0) === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
line.end();
const final = await Promise.all(tasks.map((t) => client.getTask(t.name)));
const spans = final.filter((t) => t.started_at).map((t) => [Date.parse(t.started_at), Date.parse(t.ended_at)]);
const events = spans
  .flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ])
  .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
let running = 0;
let maxOverlap = 0;
for (const [, d] of events) maxOverlap = Math.max(maxOverlap, (running += d));
const finished = final.filter((t) => t.status === "Finished").length;
const victimNow = final.at(-1);
console.log(
  `finished ${finished}/49; most running at once (from timestamps) ${maxOverlap}; most in flight seen ${maxSeen}`,
);
console.log(`canceled task: status ${victimNow.status}, started_at ${victimNow.started_at}`);
const ok =
  finished === 49 &&
  maxOverlap <= 3 &&
  maxSeen <= 3 &&
  victimNow.status === "Canceled" &&
  victimNow.started_at === null;
console.log(ok ? "OK" : "NOT OK");
await api("PUT", "/api/v1/task-types/demo.sleep", { concurrency_limit: 0 });
process.exit(ok ? 0 : 1);
