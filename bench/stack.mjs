// Processes and HTTP for the bench scripts: `wrangler dev` stacks started in their own process
// groups (always stopped, also on error or Ctrl-C), a retrying JSON client, local D1 queries, free
// ports and a description of the machine.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { round, sleep } from "./stats.mjs";

/** The repository this bench/ folder belongs to. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");

export const log = (...parts) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);

export const childEnv = {
  ...process.env,
  // node_modules/.bin first: wrangler's `#!/usr/bin/env node` then runs on the project's Node 22.
  PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
  CI: "1",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set();

/** Starts wrangler with `args` in its own process group (cwd `cwd`), output appended to `logFile`. */
export function start(name, args, logFile, cwd = root) {
  const fd = openSync(logFile, "a");
  const child = spawn(wranglerBin, args, { cwd, env: childEnv, stdio: ["ignore", fd, fd], detached: true });
  closeSync(fd);
  const entry = { name, child, logFile, exited: false, code: null };
  child.on("exit", (code, signal) => {
    entry.exited = true;
    entry.code = code ?? signal;
  });
  children.add(entry);
  return entry;
}

function killGroup(entry, signal) {
  if (entry.exited || entry.child.pid === undefined) return;
  try {
    process.kill(-entry.child.pid, signal);
  } catch {
    // already gone
  }
}

/** Stops one child's process group (TERM, then KILL after 5 s). */
export async function stop(entry) {
  killGroup(entry, "SIGTERM");
  const deadline = Date.now() + 5_000;
  while (!entry.exited && Date.now() < deadline) await sleep(100);
  killGroup(entry, "SIGKILL");
  children.delete(entry);
}

export async function stopAll() {
  await Promise.all([...children].map(stop));
}

// Last resort if the process exits some other way: no wrangler/workerd is left behind.
process.on("exit", () => {
  for (const entry of children) killGroup(entry, "SIGKILL");
});

/** Runs a wrangler command to completion; rejects with the log tail on failure. */
export function run(name, args, logFile, cwd = root) {
  const entry = start(name, args, logFile, cwd);
  return new Promise((resolve, reject) => {
    entry.child.on("exit", (code) => {
      children.delete(entry);
      if (code === 0) resolve();
      else reject(new Error(`${name} exited with ${code}\n${tail(logFile)}`));
    });
  });
}

/** Runs a wrangler command and returns its stdout (stderr goes to `logFile`). */
export function capture(name, args, logFile, cwd = root) {
  const fd = openSync(logFile, "a");
  const child = spawn(wranglerBin, args, { cwd, env: childEnv, stdio: ["ignore", "pipe", fd] });
  closeSync(fd);
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${name} exited with ${code}\n${out.slice(-2000)}\n${tail(logFile)}`));
    });
  });
}

export function tail(file, lines = 30) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export const fileSize = (file) => statSync(file).size;

/**
 * CPU seconds used so far by every process of the children's process groups (wrangler's Node,
 * workerd), by command name, plus this process (bench_s). Linux /proc only; elsewhere only bench_s.
 */
export function processCpu() {
  const groups = new Set([...children].map((e) => e.child.pid));
  const own = process.cpuUsage();
  const bench_s = (own.user + own.system) / 1e6;
  const byName = {};
  let pids;
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return { bench_s };
  }
  const tick = 100; // USER_HZ
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" "); // fields[0] is field 3 (state)
    if (!groups.has(Number(fields[2]))) continue;
    const cpu = (Number(fields[11]) + Number(fields[12])) / tick;
    // Each wrangler dev runs two workerd processes (the Worker's runtime and wrangler's dev proxy in
    // front of it), so those are told apart by pid.
    const key = comm === "workerd" ? `workerd_${pid}` : comm;
    byName[key] = (byName[key] ?? 0) + cpu;
  }
  return { bench_s, ...byName };
}

/** CPU seconds per process name between two processCpu() readings. */
export function cpuDelta(after, before) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, round(after[k] - (before[k] ?? 0), 2)]));
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A JSON client for `base`: `call(method, path, body?)` → { status, json, text }; retries resets. */
export function client(base, headers = {}) {
  return async function call(method, pathname, body) {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(base + pathname, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        let json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          // not JSON
        }
        return { status: res.status, json, text };
      } catch (error) {
        // Connection reset by a (re)starting dev server: retry a few times, then give up.
        if (attempt >= 5) throw error;
        await sleep(200 * attempt);
      }
    }
  };
}

export function expectStatus(res, expected, what) {
  const ok = Array.isArray(expected) ? expected.includes(res.status) : res.status === expected;
  if (!ok) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 500)}`);
  return res.json;
}

/** Polls `probe` every 300 ms until it is true; fails early if `entry` exits. */
export async function waitFor(what, probe, entry, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (entry?.exited) throw new Error(`${entry.name} exited (${entry.code}) before ${what}\n${tail(entry.logFile)}`);
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${entry ? `\n${tail(entry.logFile)}` : ""}`);
    }
    await sleep(300);
  }
}

// ---------------------------------------------------------------------------------------------
// wrangler dev stacks

/** `wrangler dev` flags for a stack on loopback with its own state directory. */
export function devFlags(port, inspectorPort, persistTo) {
  return [
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
    // /cdn-cgi/handler/scheduled: the alerts benchmark fires the minute cron itself.
    "--test-scheduled",
  ];
}

/** `--var NAME:value` pairs. */
export function varFlags(vars) {
  return Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
}

/** Applies the D1 migrations of the checkout at `cwd` to a fresh local state directory. */
export function migrate(cwd, state, logFile) {
  return run("migrations", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], logFile, cwd);
}

/** Runs one SQL statement on the local D1 of `state` (checkout `cwd`) and returns its rows. */
export async function d1Query(cwd, state, sql, logFile) {
  const out = await capture(
    "d1 execute",
    ["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", sql],
    logFile,
    cwd,
  );
  const parsed = JSON.parse(out.slice(out.indexOf("[")));
  return parsed.flatMap((r) => r.results ?? []);
}

// ---------------------------------------------------------------------------------------------
// Machine description

function versionOf(args) {
  return new Promise((resolve) => {
    const child = spawn(args[0], args.slice(1), { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", () => resolve(null));
    child.on("exit", () => resolve(out.trim().split("\n").at(-1) ?? null));
  });
}

export async function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpu_model: cpus[0]?.model ?? null,
    mem_gib: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node_for_wrangler: await versionOf([path.join(root, "node_modules", ".bin", "node"), "--version"]),
    node_for_bench: process.version,
    wrangler: await versionOf([wranglerBin, "--version"]),
    loadavg_at_start: os.loadavg().map((x) => round(x, 2)),
  };
}
