#!/usr/bin/env node
// Part of `npm run check`: imports in src/ run one way — HTTP (api) → domain → storage (db)
// → shared (shared definitions and the API's contract). A file may import its own
// layer or any below it, never one above. The TypeScript client (clients/typescript) is a separate
// product: it may borrow types — and only types — from the contract and the shared definitions.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";

const LAYERS = {
  api: 4,
  tasks: 3,
  consumer: 3,
  reports: 3,
  "report-jobs": 3,
  catalog: 3,
  realtime: 3,
  auth: 3,
  methods: 3,
  cron: 3,
  schedules: 3,
  remote: 3,
  live: 3,
  events: 3,
  metrics: 3,
  alerts: 3,
  webhooks: 3,
  db: 2,
  shared: 1,
  contract: 1,
};
// The entry point wires everything.
const EXEMPT = new Set(["index.ts"]);
/** What the client may borrow types from. */
const CLIENT_MAY_BORROW = [/^src\/contract\//, /^src\/shared\//, /^src\/events\/event-types\.ts$/];

const root = resolve("src");
/** The .ts files under `dir`. */
function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}
const files = walk(root);

const folderOf = (path) => relative(root, path).split("/")[0];
const problems = [];
for (const file of files) {
  const from = folderOf(file);
  if (EXEMPT.has(from)) continue;
  const level = LAYERS[from];
  if (level === undefined) {
    problems.push(`${relative(".", file)}: folder src/${from} has no layer in scripts/check-layers.mjs`);
    continue;
  }
  const text = readFileSync(file, "utf8");
  for (const [, spec] of text.matchAll(/^(?:import|export)[^;]*?from "(\.[^"]+)"/gms)) {
    const target = folderOf(resolve(dirname(file), spec));
    const targetLevel = LAYERS[target];
    if (targetLevel !== undefined && targetLevel > level) {
      problems.push(`${relative(".", file)} (${from}) imports ${spec} (${target}): imports must run downward`);
    }
  }
}
const clientRoot = resolve("clients/typescript/src");
const clientFiles = walk(clientRoot);
for (const file of clientFiles) {
  const text = readFileSync(file, "utf8");
  for (const [statement, spec] of text.matchAll(/^(?:import|export)[^;]*?from "(\.[^"]+)"/gms)) {
    const target = resolve(dirname(file), spec);
    if (target.startsWith(clientRoot)) continue;
    const where = relative(".", target.endsWith(".ts") ? target : `${target}.ts`);
    if (!CLIENT_MAY_BORROW.some((allowed) => allowed.test(where))) {
      problems.push(
        `${relative(".", file)} imports ${spec}: the client may only borrow from src/contract, src/shared and src/events/event-types.ts`,
      );
    } else if (!/^(?:import|export) type\b/.test(statement)) {
      problems.push(`${relative(".", file)} imports ${spec} at run time: the client borrows types only (import type)`);
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(
  `layers: ${files.length} files import only downward; the client's ${clientFiles.length} files borrow types only`,
);
