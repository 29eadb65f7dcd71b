// Tests run inside workerd (the Workers Vitest integration) against real local D1, Queues, DOs and R2,
// with the demo-frappe site (sites/demo-frappe) as a real second Worker for remote methods.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { build } from "esbuild";
import { defineConfig } from "vitest/config";

/** The demo site bundled to one ES module (workerd runs no TypeScript; it imports src/remote/signing.ts). */
async function bundleDemoFrappe(): Promise<string> {
  const { outputFiles } = await build({
    entryPoints: ["sites/demo-frappe/index.ts"],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    write: false,
  });
  const [bundle] = outputFiles;
  if (bundle === undefined) throw new Error("esbuild produced no output for sites/demo-frappe/index.ts");
  return bundle.text;
}

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ADMIN_API_KEY: "admin:test-admin-secret",
          SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
          DEMO_METHODS: "on",
          // Short leases and polls so recovery paths run within a test's time.
          QUEUED_LEASE_S: "3",
          LEASE_GRACE_S: "1",
          CANCEL_CHANNEL_AFTER_MS: "100",
          PROGRESS_INTERVAL_MS: "50",
          // Remote methods: a test key for secrets at rest and callback tokens, http:// and loopback
          // allowed (the stand-in site), and a short heartbeat so a silent remote lapses quickly.
          REMOTE_SECRETS_KEY: "Dor8CjrlnaaGQWL5Ec6HplfU+ktLrvedpDNvWtLQI6w=",
          REMOTE_ALLOW_INSECURE_LOCAL: "on",
          PUBLIC_URL: "http://switchyard.test",
          REMOTE_HEARTBEAT_S: "2",
          // Alert email goes through the send_email binding (Miniflare keeps the messages locally).
          ALERT_EMAIL_FROM: "alerts@switchyard.test",
        },
        // A low per-key limit for Report User keys, so a test can reach it; the other roles keep
        // wrangler.toml's limits, which no test comes near.
        // Every fetch() the Worker under test makes (erp-a.example.com, …) reaches the demo site, and
        // the site's own fetch() (its callbacks) comes back into the Worker under test.
        outboundService: "demo-frappe",
        workers: [
          {
            name: "demo-frappe",
            modules: true,
            script: await bundleDemoFrappe(),
            compatibilityDate: "2026-11-01",
            bindings: {
              DEMO_FRAPPE_API_KEY: "demo-key",
              DEMO_FRAPPE_API_SECRET: "demo-secret",
              DEMO_FRAPPE_USER: "switchyard@example.com",
              DEMO_FRAPPE_TRACEBACKS: "on",
              DEMO_FRAPPE_SIGNING_SECRET: "",
            },
            outboundService: (request, mf) => mf.dispatchFetch(request),
          },
        ],
        ratelimits: {
          RATE_LIMIT_REPORT_USER: { namespace_id: "7303", simple: { limit: 50, period: 60 } },
        },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // The console's browser tests run in Node against `npm start` (vitest.browser.config.ts).
    exclude: ["test/browser/**", "test/platform/**", "**/node_modules/**"],
    setupFiles: ["./test/setup.ts"],
    // Structured logs only show up for failing tests.
    silent: "passed-only",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for its condition up to the test's own deadline, not vitest's default
    // second: two busy cores must not fail a test that is only slow.
    expect: { poll: { timeout: 55_000 } },
  },
});
