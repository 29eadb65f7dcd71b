// The callbacks a remote site makes for an attempt it runs: progress (a heartbeat), complete and
// fail. Each is authorised by the attempt's callback token alone and is a compare-and-set on the
// task being Started in that attempt, so a late, repeated or stale callback changes nothing.
import { getDb } from "../db/client";
import { getTask } from "../db/tasks";
import { wakeScheduler } from "../dispatch/wake";
import { publishTaskEvents } from "../realtime/events";
import { config } from "../shared/config";
import { conflict, unauthorized } from "../shared/errors";
import type { Json } from "../shared/json";
import type { Progress } from "../shared/states";
import { failTask, finishTask } from "../transitions/outcome";
import { remoteHeartbeat } from "../transitions/remote";
import { tokenAttempt } from "./callback-token";
import { splitRemote } from "./methods";

/** The attempt a callback speaks for: the token must be this task's, for a remote method. */
async function attemptOf(env: Env, name: string, token: string | null): Promise<number> {
  const secret = env.REMOTE_SECRETS_KEY;
  const attempt = token === null || !secret ? null : await tokenAttempt(secret, name, token);
  if (attempt === null) throw unauthorized("invalid callback token for this task");
  return attempt;
}

const over = (name: string, attempt: number, status: string | undefined) =>
  conflict(
    `task ${name} attempt ${attempt} is not running any more${status === undefined ? "" : ` (status ${status})`}; stop working on it`,
    undefined,
    "attempt_over",
  );

/** What a callback answers: the task's status and, while it runs, the lease's end. */
export interface CallbackAnswer {
  task: string;
  attempt: number;
  status: string;
  lease_until: string | null;
}

const answer = (row: {
  name: string;
  attempt: number;
  status: string;
  leaseUntil?: number | null;
}): CallbackAnswer => ({
  task: row.name,
  attempt: row.attempt,
  status: row.status,
  lease_until: row.leaseUntil == null ? null : new Date(row.leaseUntil).toISOString(),
});

/** Throws attempt_over (409) with the task's current status. */
async function refuse(env: Env, name: string, attempt: number): Promise<never> {
  const row = await getTask(getDb(env), name);
  throw over(name, attempt, row?.status);
}

/** Progress from the remote: a heartbeat that also stores progress and a status message. */
export async function remoteProgress(
  env: Env,
  name: string,
  token: string | null,
  news: { progress?: Json<Progress>; statusMessage?: string },
): Promise<CallbackAnswer> {
  const attempt = await attemptOf(env, name, token);
  const cfg = config(env);
  const now = Date.now();
  const row = await remoteHeartbeat(
    getDb(env),
    { name, attempt },
    now + cfg.remoteHeartbeatMs + cfg.leaseGraceMs,
    cfg.leaseGraceMs,
    news,
  );
  if (!row) return refuse(env, name, attempt);
  await publishTaskEvents(env, [row], now);
  return answer(row);
}

/** The remote finished the attempt with `result`. */
export async function remoteComplete(
  env: Env,
  name: string,
  token: string | null,
  outcome: { result: Json<unknown> | null; debugLog: string | null; progress: Json<Progress> | null },
): Promise<CallbackAnswer> {
  const attempt = await attemptOf(env, name, token);
  const now = Date.now();
  const row = await finishTask(getDb(env), { name, attempt }, outcome.result, outcome, now);
  if (!row) return refuse(env, name, attempt);
  await publishTaskEvents(env, [row], now);
  if (row.admitsNow === 1) await wakeScheduler(env, row.method);
  return answer({ ...row, leaseUntil: null });
}

/** The remote failed the attempt; retried by the task's rules unless permanent, not before `minDelayMs`. */
export async function remoteFail(
  env: Env,
  name: string,
  token: string | null,
  failure: {
    error: string;
    permanent: boolean;
    minDelayMs?: number;
    debugLog: string | null;
    progress: Json<Progress> | null;
  },
): Promise<CallbackAnswer> {
  const attempt = await attemptOf(env, name, token);
  const db = getDb(env);
  const task = await getTask(db, name);
  if (!task) return refuse(env, name, attempt);
  const now = Date.now();
  const target = splitRemote(task.method)?.target ?? task.method;
  const { failed, paused } = await failTask(
    db,
    { ...task, attempt, status: "Started" },
    {
      error: `RemoteError: ${target}: ${failure.error}`,
      permanent: failure.permanent,
      record: { debugLog: failure.debugLog, progress: failure.progress },
      ...(failure.minDelayMs === undefined ? {} : { minDelayMs: failure.minDelayMs }),
    },
    now,
  );
  if (!failed) return refuse(env, name, attempt);
  await publishTaskEvents(env, [failed, ...paused], now);
  if (failed.admitsNow === 1 || failed.wakeAt !== null) await wakeScheduler(env, failed.method);
  return answer({ ...failed, leaseUntil: null });
}
