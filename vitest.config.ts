// Tests run inside workerd (the Workers Vitest integration) against real local D1, Queues, DOs and R2.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
          CANCEL_POLL_MS: "100",
          PROGRESS_INTERVAL_MS: "50",
        },
        // A low per-key limit for Report User keys, so a test can reach it; the other roles keep
        // wrangler.toml's limits, which no test comes near.
        ratelimits: {
          RATE_LIMIT_REPORT_USER: { namespace_id: "7303", simple: { limit: 50, period: 60 } },
        },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // The console's browser tests run in Node against `npm start` (vitest.browser.config.ts).
    exclude: ["test/browser/**", "**/node_modules/**"],
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
