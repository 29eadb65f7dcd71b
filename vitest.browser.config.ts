// The console's browser tests: Node + playwright-core driving Debian's Chromium against the platform
// started as `npm start` does (see test/browser/global-setup.ts). Run after the workerd suite.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/browser/**/*.browser.test.ts"],
    environment: "node",
    globalSetup: ["./test/browser/global-setup.ts"],
    // One platform and one browser at a time on a 2-core machine; waits are on conditions, not clocks.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // expect.poll waits for its condition up to the test's own deadline, not vitest's default second.
    expect: { poll: { timeout: 170_000 } },
  },
});
