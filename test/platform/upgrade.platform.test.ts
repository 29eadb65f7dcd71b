// An existing local database from before live tasks moved into the method objects keeps working:
// its live tasks sit in D1 (Pending, Queued, Started on a worker that is gone, Paused, Failed with
// a retry due). `npm start` applies the new migration, and each method's object adopts its
// method's live rows when it wakes — they run to their end, once, and the ended history stays.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { newId } from "../../src/shared/ids";
import { startPlatform, type Platform } from "../browser/platform";
import { api, waitForAll } from "./support";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const state = mkdtempSync(join(tmpdir(), "switchyard-upgrade-"));
const scratch = mkdtempSync(join(tmpdir(), "switchyard-upgrade-config-"));
let platform: Platform | undefined;

afterAll(async () => {
  await platform?.stop();
  rmSync(state, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** The migration that turned D1's task table into the log (everything before it is the old design). */
const TASK_LOG = "0015";

function wrangler(args: string[]): void {
  const run = spawnSync("wrangler", args, {
    cwd: scratch,
    env: {
      ...process.env,
      PATH: `${join(root, "node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`,
      WRANGLER_SEND_METRICS: "false",
      CI: "1",
    },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
}

/** A local database at the old design's schema, in `state`, with `sql` run against it. */
function oldDatabase(sql: string): void {
  // The same D1 database, with only the old migrations: a wrangler.toml beside a copy of them.
  mkdirSync(join(scratch, "migrations"));
  for (const file of readdirSync(join(root, "migrations")).filter(
    (f) => f.endsWith(".sql") && f.slice(0, 4) < TASK_LOG,
  )) {
    cpSync(join(root, "migrations", file), join(scratch, "migrations", file));
  }
  const config = readFileSync(join(root, "wrangler.toml"), "utf8")
    .replace(/^main = .*$/m, `main = "${join(root, "src/index.ts")}"`)
    .replace(/^\[build\][\s\S]*?(?=\n\[)/m, "")
    .replace(/^\[assets\][\s\S]*?(?=\n\[)/m, "");
  writeFileSync(join(scratch, "wrangler.toml"), config);
  wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
  writeFileSync(join(scratch, "legacy.sql"), sql);
  wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, "--file", join(scratch, "legacy.sql")]);
}

describe("upgrading a database from before the method objects", () => {
  it("its live tasks are adopted by their objects and run to their end; its history stays", async () => {
    const now = Date.now();
    const names = {
      pending: newId(now),
      queued: newId(now),
      started: newId(now),
      paused: newId(now),
      retryDue: newId(now),
      finished: newId(now - 60_000),
    };
    const row = (name: string, fields: Record<string, unknown>) => {
      const values: Record<string, unknown> = {
        name,
        job_name: "demo.mark",
        method: "demo.mark",
        queue: "default",
        timeout: 5,
        arguments: "{}",
        status: "Pending",
        owner: "Administrator",
        order_key: name,
        created_at: now - 30_000,
        max_retries: 1,
        ...fields,
      };
      const cols = Object.keys(values);
      const lit = (v: unknown) => (v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v as string}'`);
      return `INSERT INTO tasks (${cols.join(", ")}) VALUES (${cols.map((c) => lit(values[c])).join(", ")});`;
    };
    oldDatabase(
      [
        row(names.pending, {}),
        row(names.queued, { status: "Queued", attempt: 1, queued_at: now - 20_000, lease_until: now - 1 }),
        // Its worker died with the old platform: its lease ran out long ago.
        row(names.started, {
          status: "Started",
          attempt: 1,
          queued_at: now - 25_000,
          started_at: now - 20_000,
          lease_until: now - 10_000,
        }),
        row(names.paused, { status: "Paused" }),
        row(names.retryDue, {
          status: "Failed",
          attempt: 1,
          ended_at: now - 10_000,
          wake_at: now - 5_000,
          error_message: "Error: before the upgrade",
        }),
        row(names.finished, { status: "Finished", attempt: 1, ended_at: now - 50_000, result: '{"old":true}' }),
      ].join("\n"),
    );

    platform = await startPlatform(root, 240_000, state);
    const done = await waitForAll(platform, [names.pending, names.queued, names.started, names.retryDue], ["Finished"]);
    const byName = new Map(done.map((t) => [t.name, t]));
    expect(byName.get(names.pending)?.attempt).toBe(1);
    expect(byName.get(names.queued)?.attempt).toBe(1);
    // The interrupted attempt is presumed lost and retried (it may retry once).
    expect(byName.get(names.started)?.attempt).toBe(2);
    expect(byName.get(names.retryDue)?.attempt).toBe(2);
    for (const name of [names.pending, names.queued]) {
      expect((await api(platform, `/api/v1/demo/marks/${name}`)).body.runs, name).toBe(1);
    }
    expect((await api(platform, `/api/v1/tasks/${names.paused}`)).body.status).toBe("Paused");
    const resumed = await api(platform, `/api/v1/tasks/${names.paused}/resume`, {});
    expect(resumed.status).toBe(200);
    await waitForAll(platform, [names.paused], ["Finished"]);
    expect((await api(platform, `/api/v1/tasks/${names.finished}`)).body).toMatchObject({
      status: "Finished",
      result: { old: true },
    });
  });
});
