// The callbacks a remote site makes for an attempt it runs: progress (a heartbeat), complete and
// fail. Each is authorised by the attempt's callback token alone and is a compare-and-set on the
// task being Started in that attempt, so a late, repeated or stale callback changes nothing.
import { getDb } from "../db/client";
import { getTarget } from "../db/remote-targets";
import { getTask } from "../db/tasks";
import { wakeScheduler } from "../dispatch/wake";
import { publishTaskEvents } from "../realtime/events";
import { config } from "../shared/config";
import { conflict, unauthorized } from "../shared/errors";
import { fromJson, toJson, type Json } from "../shared/json";
import type { Progress } from "../shared/states";
import { failTask, finishTask } from "../transitions/outcome";
import { remoteHeartbeat } from "../transitions/remote";
import { tokenAttempt } from "./callback-token";
import { splitRemote } from "./methods";
import { redactorFor, type Redactor } from "./redact";
import { openSecrets } from "./vault";

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

/**
 * A redactor for the secrets the task's target is called with and for the callback's own token: a
 * remote may echo them into what it reports, which the task's owner can read.
 */
async function redactorOf(env: Env, name: string, token: string | null): Promise<Redactor> {
  const db = getDb(env);
  const task = await getTask(db, name);
  const target = task ? splitRemote(task.documentType ?? task.method)?.target : undefined;
  const row = target === undefined ? null : await getTarget(db, target);
  const secrets = row ? await openSecrets(env, row, Date.now()) : null;
  return redactorFor(secrets?.credentials ?? null, token);
}

/** Progress (its description) with the secrets redacted. */
const redactProgress = (redact: Redactor, progress: Json<Progress>): Json<Progress> =>
  toJson(redact.json(fromJson(progress)) as Progress);

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
  // A bare heartbeat carries no text: no secrets to look up then.
  const redact =
    news.statusMessage === undefined && news.progress === undefined ? null : await redactorOf(env, name, token);
  const clean =
    redact === null
      ? news
      : {
          ...(news.progress === undefined ? {} : { progress: redactProgress(redact, news.progress) }),
          ...(news.statusMessage === undefined ? {} : { statusMessage: redact.text(news.statusMessage) }),
        };
  const now = Date.now();
  const row = await remoteHeartbeat(
    getDb(env),
    { name, attempt },
    now + cfg.remoteHeartbeatMs + cfg.leaseGraceMs,
    cfg.leaseGraceMs,
    clean,
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
  const redact = await redactorOf(env, name, token);
  const clean = {
    result: outcome.result === null ? null : toJson(redact.json(fromJson(outcome.result))),
    debugLog: outcome.debugLog === null ? null : redact.text(outcome.debugLog),
    progress: outcome.progress === null ? null : redactProgress(redact, outcome.progress),
  };
  const now = Date.now();
  const row = await finishTask(getDb(env), { name, attempt }, clean.result, clean, now);
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
  const redact = await redactorOf(env, name, token);
  const { failed, paused } = await failTask(
    db,
    { ...task, attempt, status: "Started" },
    {
      error: redact.text(`RemoteError: ${target}: ${failure.error}`),
      permanent: failure.permanent,
      record: {
        debugLog: failure.debugLog === null ? null : redact.text(failure.debugLog),
        progress: failure.progress === null ? null : redactProgress(redact, failure.progress),
      },
      ...(failure.minDelayMs === undefined ? {} : { minDelayMs: failure.minDelayMs }),
    },
    now,
  );
  if (!failed) return refuse(env, name, attempt);
  await publishTaskEvents(env, [failed, ...paused], now);
  if (failed.admitsNow === 1 || failed.wakeAt !== null) await wakeScheduler(env, failed.method);
  return answer({ ...failed, leaseUntil: null });
}
