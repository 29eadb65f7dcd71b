// Proof of wiring (throwaway): the Worker under test with the demo-frappe site as an auxiliary Worker.
// Outbound fetch() of the Worker under test goes to the site; the site's fetch() (its callbacks)
// comes back into the Worker under test. Run: npx vitest run -c vitest.frappe.config.ts
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { build } from "esbuild";
import { defineConfig } from "vitest/config";

/** The site bundled to one ES module (it imports src/remote/signing.ts; workerd runs no TypeScript). */
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
      // The proof's entry: src/index.ts plus /__probe routes (sites/demo-frappe/test/probe-worker.ts).
      main: "./sites/demo-frappe/test/probe-worker.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ADMIN_API_KEY: "admin:test-admin-secret",
          DEMO_METHODS: "on",
        },
        // Every fetch() the Worker under test makes (any host: erp.example.com, …) reaches the site.
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
            // The site's fetch() (its callbacks) enters the Worker under test: dispatchFetch goes to
            // the first Worker, the pool's runner, whose default export is the main entry's.
            outboundService: (request, mf) => mf.dispatchFetch(request),
          },
        ],
      },
    })),
  ],
  test: {
    include: ["sites/demo-frappe/test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    silent: "passed-only",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
