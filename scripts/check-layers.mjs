#!/usr/bin/env node
// Part of `npm run check`: imports in src/ run one way — HTTP (api) → domain → storage (db,
// transitions) → shared. A file may import its own layer or any below it, never one above.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";

const LAYERS = {
  api: 4,
  tasks: 3,
  consumer: 3,
  dispatch: 3,
  reports: 3,
  realtime: 3,
  auth: 3,
  methods: 3,
  cron: 3,
  schedules: 3,
  remote: 3,
  live: 3,
  events: 3,
  db: 2,
  shared: 1,
};
// The entry point wires everything; the client is a separate product that only borrows types.
const EXEMPT = new Set(["index.ts", "client"]);

const root = resolve("src");
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".ts")) files.push(path);
  }
})(root);

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
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`layers: ${files.length} files import only downward`);
