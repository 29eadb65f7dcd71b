#!/usr/bin/env node
// prestart/pretest hook: on a fresh clone, installs the npm dependencies (which include Node 22
// for every later `npm run …`), so `npm start` and `npm test` work as the first commands.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync("node_modules/.bin/wrangler") || !existsSync("node_modules/.bin/vitest")) {
  console.error("Installing dependencies (first run)…");
  const result = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
