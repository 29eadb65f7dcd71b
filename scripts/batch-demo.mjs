#!/usr/bin/env node
// `npm run demo:batch`: enqueues a 1,000-task batch across two methods on a running platform
// (`npm start`) and watches it live with the TypeScript client until 1,000/1,000.
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

const client = createClient({ baseUrl: url, apiKey: key });
const tasks = [
  ...Array.from({ length: 500 }, (_, i) => ({ method: "demo.sleep", arguments: { ms: 5 + (i % 20) } })),
  ...Array.from({ length: 500 }, (_, i) => ({ method: "demo.echo", arguments: { i } })),
];
const started = Date.now();
const { batch_id, enqueued } = await client.bulkEnqueue({ tasks });
console.log(`batch ${batch_id}: ${enqueued} tasks across demo.sleep and demo.echo`);

let last = -1;
const line = progressLine();
const progress = await client.watchBatch(batch_id, (_event, p) => {
  if (p.done === last) return;
  last = p.done;
  line.update(`${p.done}/${p.total}`);
}).done;
line.end();
const batch = await client.getBatch(batch_id);
console.log(
  `${progress.done}/${progress.total} done in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(finished ${batch.finished}, failed ${batch.failed}, canceled ${batch.canceled})`,
);
