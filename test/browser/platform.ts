// Starts the platform exactly as `npm start` does (scripts/dev.mjs: migrations, .dev.vars, wrangler
// dev), on a free port with a fresh local state folder, and stops it again. Used by the browser
// suite's global setup and by scripts that need a running platform.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface Platform {
  url: string;
  adminKey: string;
  /** Stops it (SIGTERM, then SIGKILL) and deletes its state folder. */
  stop: () => Promise<void>;
  /** Kills it at once (SIGKILL, the whole process group), keeping its state folder: a crash. */
  kill: () => Promise<void>;
  /** Everything `npm start` has printed so far (stdout and stderr, the last 200,000 characters). */
  output: () => string;
}

/** The ports the platforms we start may use (the machine's other services keep out of this range). */
export const PORT_RANGE = { from: 8900, to: 8999 } as const;

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A TCP port in PORT_RANGE that nobody listens on right now (and not one of `taken`), from a random start. */
export async function freePort(taken: readonly number[] = []): Promise<number> {
  const size = PORT_RANGE.to - PORT_RANGE.from + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = PORT_RANGE.from + ((start + i) % size);
    if (!taken.includes(port) && (await listenable(port))) return port;
  }
  throw new Error(`no free port in ${PORT_RANGE.from}-${PORT_RANGE.to}`);
}

/** ADMIN_API_KEY from .dev.vars (written by scripts/dev.mjs). */
export function readAdminKey(root: string): string {
  const match = /^ADMIN_API_KEY="?([^"\n]+)"?$/m.exec(readFileSync(join(root, ".dev.vars"), "utf8"));
  if (!match?.[1]) throw new Error(".dev.vars has no ADMIN_API_KEY");
  return match[1];
}

/**
 * Starts `node scripts/dev.mjs` and waits until /api/v1/health answers (up to `timeoutMs`). The local
 * state lives in `state` (default: a new temporary folder), which `stop()` deletes.
 */
export async function startPlatform(
  root: string,
  timeoutMs = 240_000,
  state = mkdtempSync(join(tmpdir(), "switchyard-browser-")),
): Promise<Platform> {
  const port = await freePort();
  // wrangler's devtools port too, so nothing we start listens outside the range.
  const inspectorPort = await freePort([port]);
  // The demo Frappe site npm start runs beside the platform, and its devtools port.
  const sitePort = await freePort([port, inspectorPort]);
  const siteInspectorPort = await freePort([port, inspectorPort, sitePort]);
  const url = `http://localhost:${port}`;
  const child: ChildProcess = spawn(process.execPath, ["scripts/dev.mjs", "--inspector-port", String(inspectorPort)], {
    cwd: root,
    env: {
      ...process.env,
      // As under `npm start`: the project's wrangler (and Node 22) first on PATH.
      PATH: `${join(root, "node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`,
      PORT: String(port),
      SITE_PORT: String(sitePort),
      SITE_INSPECTOR_PORT: String(siteInspectorPort),
      SWITCHYARD_PERSIST_TO: state,
      WRANGLER_SEND_METRICS: "false",
      CI: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stopping it also stops wrangler and workerd.
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000)));
  let exited = false;
  child.once("exit", () => (exited = true));

  const stop = async () => {
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
          resolve();
        }, 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    rmSync(state, { recursive: true, force: true });
  };

  const kill = async () => {
    if (exited || child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await gone;
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`the platform exited while starting:\n${output}`);
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the platform did not answer /api/v1/health within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, adminKey: readAdminKey(root), stop, kill, output: () => output };
}
