#!/usr/bin/env node
// `npm start`: brings up the whole platform locally — applies D1 migrations to the local database,
// creates the admin API key and the secrets key once (in .dev.vars) and prints the key, then runs
// `wrangler dev` (local D1, Queues, Durable Objects, R2 and the minute cron, all in workerd), and
// beside it the demo Frappe site (sites/demo-frappe) on PORT+1, registered as remote target
// `demo-frappe` once the platform answers. Ctrl-C stops both and says so.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
// The demo Frappe site's port (PORT+1 unless SITE_PORT says otherwise; SITE_INSPECTOR_PORT its
// devtools port).
const sitePort = process.env.SITE_PORT ?? String(Number(port) + 1);
// A separate local state folder (the browser tests start a fresh platform in a temp folder).
const persist = process.env.SWITCHYARD_PERSIST_TO ? ["--persist-to", process.env.SWITCHYARD_PERSIST_TO] : [];
// wrangler dev fetches a sample `request.cf` object from workers.cloudflare.com at every start and
// prints a stack trace when the machine is offline. Nothing here reads request.cf, so the local
// placeholder is used from the start (set CLOUDFLARE_CF_FETCH_ENABLED=true to fetch it anyway).
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
};

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
// Seals remote targets' secrets at rest and derives callback tokens (base64 of 32 random bytes).
if (!vars.get("REMOTE_SECRETS_KEY")) vars.set("REMOTE_SECRETS_KEY", randomBytes(32).toString("base64"));
// Signs the console's session cookies (production: wrangler secret put SESSION_SECRET).
if (!vars.get("SESSION_SECRET")) vars.set("SESSION_SECRET", randomBytes(32).toString("hex"));
writeFileSync(".dev.vars", [...vars].map(([k, v]) => `${k}="${v}"`).join("\n") + "\n", { mode: 0o600 });

// wrangler applies migrations one by one and prints its whole status table after each: its output
// is kept, and one summary is printed instead (all of it when something fails).
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", ...persist], {
  stdio: ["ignore", "pipe", "pipe"],
  env: { ...env, CI: "1" },
  encoding: "utf8",
});
if (migrate.status !== 0) {
  process.stdout.write(migrate.stdout ?? "");
  process.stderr.write(migrate.stderr ?? "");
  console.error("Applying local D1 migrations failed (wrangler's output is above).");
  process.exit(migrate.status ?? 1);
}
const applied = [...new Set((migrate.stdout ?? "").match(/\d{4}_[\w-]+\.sql(?=\s*│\s*✅)/g) ?? [])];
const known = readdirSync("migrations").filter((f) => f.endsWith(".sql")).length;
if (/No migrations to apply/.test(migrate.stdout ?? "")) {
  console.log(`Local D1 database: up to date (${known} migrations).`);
} else {
  console.log(`Local D1 database: ${applied.length} migration(s) applied, ${known} in all:`);
  for (const name of applied) console.log(`  ✅ ${name}`);
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
│ Remote:   the demo Frappe site runs on http://localhost:${sitePort} as target "demo-frappe":
│         -d '{"method":"demo-frappe:myapp.api.sync_customer","arguments":{"customer":"CUST-0001"}}'
│ Cron: this script fires the minute cron (wrangler dev does not); by hand:
│         curl -s '${url}/cdn-cgi/handler/scheduled'
└────────────────────────────────────────────────────────────────────────
`);

// A fresh signing secret each start: the site checks it, the target signs with it.
const signingSecret = `whsec_${randomBytes(32).toString("base64")}`;
// PUBLIC_URL: where remote sites send their callbacks; http:// and loopback targets are allowed
// for local development only (wrangler.toml keeps the switch off).
const dev = spawn(
  "wrangler",
  [
    "dev",
    "--port",
    port,
    "--test-scheduled",
    ...persist,
    "--var",
    `PUBLIC_URL:${url}`,
    "--var",
    "REMOTE_ALLOW_INSECURE_LOCAL:on",
    ...process.argv.slice(2),
  ],
  { stdio: "inherit", env },
);
// The site starts once the platform answers: two wrangler dev processes starting at the same
// moment can pick the same free port for their internal sockets.
let site = null;
let siteRunning = false;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (!stopping) console.log("\nStopping Switchyard (the platform and the demo Frappe site)…");
    stopping = true;
    dev.kill(signal);
    site?.kill(signal);
  });
}
/** Resolves when the demo site has exited (at once when it never started or already stopped). */
const siteExited = () => (site === null || !siteRunning ? Promise.resolve() : new Promise((r) => site.once("exit", r)));
dev.on("exit", async (code, signal) => {
  site?.kill("SIGTERM");
  await siteExited();
  if (stopping) {
    console.log(`Switchyard stopped: nothing runs on ${url} or on port ${sitePort} any more.`);
    process.exit(0);
  }
  console.error(
    `The platform (wrangler dev) stopped by itself (${signal ?? `exit ${code}`}); Switchyard is not running.`,
  );
  process.exit(code ?? 1);
});
void registerDemoSite();

/**
 * Waits for the platform, starts the demo site, then creates or updates the demo-frappe target
 * with this start's signing secret.
 */
async function registerDemoSite() {
  const headers = { authorization: `token ${key}`, "content-type": "application/json" };
  const target = `${url}/api/v1/remote-targets/demo-frappe`;
  const definition = {
    kind: "frappe",
    base_url: `http://localhost:${sitePort}`,
    credentials: { api_key: "demo-key", api_secret: "demo-secret" },
    allowed_methods: ["myapp.api.*", "Sales Invoice.*"],
    roles: ["Task User"],
  };
  for (let i = 0; i < 600; i++) {
    try {
      const health = await fetch(`${url}/api/v1/health`);
      await health.body?.cancel();
      if (health.ok) break;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (stopping) return;
  site = spawn(
    "wrangler",
    [
      "dev",
      "-c",
      "sites/demo-frappe/wrangler.toml",
      "--port",
      sitePort,
      "--var",
      `DEMO_FRAPPE_SIGNING_SECRET:${signingSecret}`,
      "--show-interactive-dev-session=false",
      ...(process.env.SITE_INSPECTOR_PORT ? ["--inspector-port", process.env.SITE_INSPECTOR_PORT] : []),
      ...(process.env.SWITCHYARD_PERSIST_TO
        ? ["--persist-to", `${process.env.SWITCHYARD_PERSIST_TO}/demo-frappe`]
        : []),
    ],
    { stdio: ["ignore", "ignore", "inherit"], env },
  );
  siteRunning = true;
  site.on("exit", (code, signal) => {
    siteRunning = false;
    if (!stopping) {
      console.error(
        `The demo Frappe site stopped by itself (${signal ?? `exit ${code}`}); the platform keeps running without it.`,
      );
    }
  });
  try {
    const created = await fetch(target, {
      method: "PUT",
      headers,
      body: JSON.stringify({ ...definition, signing_secret: signingSecret }),
    });
    if (created.status === 400) {
      // It exists from an earlier start: refresh the definition, then this start's secret.
      await created.body?.cancel();
      const replaced = await fetch(target, { method: "PUT", headers, body: JSON.stringify(definition) });
      const rotated = await fetch(`${target}/rotate-signing-secret`, {
        method: "POST",
        headers,
        body: JSON.stringify({ signing_secret: signingSecret, grace: 0 }),
      });
      await Promise.all([replaced.body?.cancel(), rotated.body?.cancel()]);
      if (!replaced.ok || !rotated.ok) throw new Error(`update answered ${replaced.status}/${rotated.status}`);
    } else if (!created.ok) {
      throw new Error(`create answered ${created.status}: ${await created.text()}`);
    } else {
      await created.body?.cancel();
    }
    console.log(`Remote target "demo-frappe" → http://localhost:${sitePort} (the demo Frappe site) is registered.`);
  } catch (error) {
    console.error(`Could not register the demo Frappe site as a remote target: ${error.message}`);
  }
}

// wrangler dev only runs scheduled handlers on request: fire the "* * * * *" trigger at the start
// of every minute, as Cloudflare does in production.
function fireCron() {
  fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`)
    .then((r) => r.body?.cancel())
    .catch(() => {}); // not up yet, or restarting: the next minute will do
  setTimeout(fireCron, 60_000 - (Date.now() % 60_000));
}
setTimeout(fireCron, 60_000 - (Date.now() % 60_000));
