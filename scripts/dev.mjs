#!/usr/bin/env node
// `npm start`: brings up the whole platform locally — applies D1 migrations to the local database,
// creates the admin API key once (in .dev.vars) and prints it, then runs `wrangler dev`
// (local D1, Queues, Durable Objects, R2 and the minute cron, all in workerd).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
// A separate local state folder (the browser tests start a fresh platform in a temp folder).
const persist = process.env.SWITCHYARD_PERSIST_TO ? ["--persist-to", process.env.SWITCHYARD_PERSIST_TO] : [];
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

function readVars(path) {
  const vars = new Map();
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/);
    if (m) vars.set(m[1], m[2]);
  }
  return vars;
}

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
const random = (n) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join("");

const vars = readVars(".dev.vars");
let created = false;
if (!vars.get("ADMIN_API_KEY")) {
  vars.set("ADMIN_API_KEY", `${random(20)}:${random(40)}`);
  created = true;
}
if (!vars.has("DEMO_METHODS")) vars.set("DEMO_METHODS", "on");
// Signs the console's session cookies (production: wrangler secret put SESSION_SECRET).
if (!vars.get("SESSION_SECRET")) vars.set("SESSION_SECRET", randomBytes(32).toString("hex"));
writeFileSync(".dev.vars", [...vars].map(([k, v]) => `${k}="${v}"`).join("\n") + "\n", { mode: 0o600 });

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", ...persist], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...env, CI: "1" },
});
if (migrate.status !== 0) {
  console.error("Applying local D1 migrations failed.");
  process.exit(migrate.status ?? 1);
}

const key = vars.get("ADMIN_API_KEY");
const url = `http://localhost:${port}`;
console.log(`
┌─ Switchyard is starting ───────────────────────────────────────────────
│ URL        ${url}
│ Admin key  ${key}${created ? "   (new — saved in .dev.vars)" : "   (from .dev.vars)"}
│ Console    ${url}/ui/   (sign in with the admin key)   API docs  ${url}/api/v1/docs
│
│ Try:  curl -s -X POST ${url}/api/v1/tasks \\
│         -H 'Authorization: token ${key}' -H 'Content-Type: application/json' \\
│         -d '{"method":"demo.sleep","arguments":{"ms":1000}}'
│ Cron: this script fires the minute cron (wrangler dev does not); by hand:
│         curl -s '${url}/cdn-cgi/handler/scheduled'
└────────────────────────────────────────────────────────────────────────
`);

const dev = spawn("wrangler", ["dev", "--port", port, "--test-scheduled", ...persist, ...process.argv.slice(2)], {
  stdio: "inherit",
  env,
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));

// wrangler dev only runs scheduled handlers on request: fire the "* * * * *" trigger at the start
// of every minute, as Cloudflare does in production.
function fireCron() {
  fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`)
    .then((r) => r.body?.cancel())
    .catch(() => {}); // not up yet, or restarting: the next minute will do
  setTimeout(fireCron, 60_000 - (Date.now() % 60_000));
}
setTimeout(fireCron, 60_000 - (Date.now() % 60_000));
