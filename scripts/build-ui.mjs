#!/usr/bin/env node
// Builds the console into dist/assets (served by Workers Static Assets, see wrangler.toml [assets]):
// bundles ui/src with esbuild, copies the static files, and copies the vendor assets (uPlot's CSS,
// Swagger UI) out of node_modules — nothing is ever loaded from a CDN.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/assets");
const ui = join(out, "ui");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(ui, "vendor/swagger-ui"), { recursive: true });

// Static files: _headers (security headers for every asset) at the assets root, pages under /ui.
cpSync(join(root, "ui/public/_headers"), join(out, "_headers"));
for (const file of ["index.html", "api-docs.html", "favicon.svg"]) {
  cpSync(join(root, "ui/public", file), join(ui, file));
}
cpSync(join(root, "node_modules/uplot/dist/uPlot.min.css"), join(ui, "vendor/uplot.min.css"));
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"]) {
  cpSync(join(root, "node_modules/swagger-ui-dist", file), join(ui, "vendor/swagger-ui", file));
}

const options = {
  absWorkingDir: root,
  entryPoints: { app: "ui/src/main.tsx", "api-docs": "ui/src/api-docs.ts", styles: "ui/styles/index.css" },
  outdir: ui,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "linked",
  logLevel: "warning",
};

await build(options);
console.log(`build-ui: console built into ${out}`);
