#!/usr/bin/env node
// A first look at the client: enqueue a task and follow its progress live, then enqueue a small
// batch and follow its counters until every task has ended. Needs a running Switchyard (`npm start`
// in the repository) and Node ≥ 22.
//
//   SWITCHYARD_URL   the platform (default http://localhost:8787)
//   SWITCHYARD_KEY   an API key, "<key>:<secret>" (npm start prints the admin's; inside the
//                    repository the one it saved in .dev.vars is used when this is not set)
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "../dist/index.js";

const devVars = join(dirname(fileURLToPath(import.meta.url)), "../../../.dev.vars");
const key =
  process.env.SWITCHYARD_KEY ??
  (existsSync(devVars) ? readFileSync(devVars, "utf8").match(/ADMIN_API_KEY="?([^"\n]+)/)?.[1] : undefined);
if (!key) {
  console.error('Set SWITCHYARD_KEY="<key>:<secret>" (npm start prints the admin key).');
  process.exit(2);
}
const client = createClient({ baseUrl: process.env.SWITCHYARD_URL ?? "http://localhost:8787", apiKey: key });

// One task: demo.count counts to n, reporting progress at each step.
const task = await client.enqueue({ method: "demo.count", arguments: { n: 5, step_ms: 200 } });
console.log(`enqueued ${task.name} (${task.method})`);
const last = await client.watchTask(task.name, (event) => {
  const p = event.progress;
  console.log(`  ${event.status}${p?.total ? ` ${p.count ?? 0}/${p.total}` : ""}`);
}).done;
console.log(`task ${last.status}`);

// A batch: counters come from the server, so they are exact whatever order tasks end in.
const { batch_id } = await client.bulkEnqueue({
  label: "client example",
  tasks: [
    { method: "demo.sleep", arguments: { ms: 100 } },
    { method: "demo.echo", arguments: { hello: "world" } },
    { method: "demo.sleep", arguments: { ms: 300 } },
  ],
});
const progress = await client.watchBatch(batch_id, (_event, p) => console.log(`  batch ${p.done}/${p.total}`)).done;
const batch = await client.getBatch(batch_id);
console.log(`batch ${batch_id} (${batch.label}): ${progress.done}/${progress.total} done, ${batch.finished} finished`);
