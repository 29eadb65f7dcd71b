// The platform suite: Node tests that start the platform exactly as `npm start` does, kill and
// restart it, and upgrade a database from before live tasks moved into the method objects. Run
// after the workerd and browser suites, one platform at a time.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/platform/**/*.platform.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
    expect: { poll: { timeout: 300_000 } },
  },
});
