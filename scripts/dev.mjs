#!/usr/bin/env node
// `npm start`: brings up the whole platform locally — applies D1 migrations to the local database,
// creates the admin API key and the secrets key once (in .dev.vars) and prints the key, then runs
// `wrangler dev` (local D1, Queues, Durable Objects, R2 and the minute cron, all in workerd), and
// beside it the demo Frappe site (sites/demo-frappe) on PORT+1, registered as remote target
// `demo-frappe` once the platform answers.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
// The demo Frappe site's port (PORT+1 unless SITE_PORT says otherwise; SITE_INSPECTOR_PORT its
// devtools port).
const sitePort = process.env.SITE_PORT ?? String(Number(port) + 1);
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
// Seals remote targets' secrets at rest and derives callback tokens (base64 of 32 random bytes).
if (!vars.get("REMOTE_SECRETS_KEY")) vars.set("REMOTE_SECRETS_KEY", randomBytes(32).toString("base64"));
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
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    dev.kill(signal);
    site?.kill(signal);
  });
}
dev.on("exit", (code) => {
  site?.kill("SIGTERM");
  process.exit(code ?? 0);
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
  site.on("exit", (code) => {
    if (code) console.error(`The demo Frappe site stopped (exit ${code}); the platform keeps running.`);
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
