// The callbacks a remote site makes for an attempt it runs: progress (a heartbeat), complete and
// fail. Each is authorised by the attempt's callback token alone and is a compare-and-set in the
// task's object on the task being Started in that attempt, so a late, repeated or stale callback
// changes nothing.
import { getDb } from "../db/client";
import { getTarget } from "../db/remote-targets";
import { methodOfTask } from "../db/routes";
import type { OutcomeReport } from "../live/outcome";
import type { TaskRecord } from "../live/store";
import { config } from "../shared/config";
import { conflict, unauthorized } from "../shared/errors";
import { fromJson, toJson, type Json } from "../shared/json";
import { splitRemote } from "../shared/method-names";
import type { Progress } from "../shared/states";
import { objectOfTask } from "../live/client";
import { readTask } from "../live/read";
import { tokenAttempt } from "./callback-token";
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
 * A redactor for the secrets the method's target is called with and for the callback's own token:
 * a remote may echo them into what it reports, which the task's owner can read.
 */
async function redactorOf(env: Env, method: string, token: string | null): Promise<Redactor> {
  const target = splitRemote(method)?.target;
  const row = target === undefined ? null : await getTarget(getDb(env), target);
  const secrets = row ? await openSecrets(env, row, Date.now()) : null;
  return redactorFor(secrets?.credentials ?? null, token);
}

/** Progress (its description) with the secrets redacted. */
const redactProgress = (redact: Redactor, progress: Json<Progress>): Json<Progress> =>
  toJson(redact.json(fromJson(progress)) as Progress);

/** Throws attempt_over (409) with the task's current status. */
async function refuse(env: Env, name: string, attempt: number): Promise<never> {
  const row = await readTask(env, name);
  throw over(name, attempt, row?.status);
}

/** The method whose object holds the task (the token has been checked: the name is real). */
async function methodOf(env: Env, name: string, attempt: number): Promise<string> {
  const method = await methodOfTask(getDb(env), name);
  if (method === null) throw over(name, attempt, undefined);
  return method;
}

/** Reports one outcome to the task's object: the task after it, or null when the attempt is over. */
async function reportOne(env: Env, method: string, report: OutcomeReport): Promise<TaskRecord | null> {
  const [result] = await objectOfTask(env, method, report.name, (o) => o.report([report]));
  return result?.task ?? null;
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
  const until = Date.now() + cfg.remoteHeartbeatMs + cfg.leaseGraceMs;
  const method = await methodOf(env, name, attempt);
  // A bare heartbeat carries no text: no secrets to look up then.
  const redact =
    news.statusMessage === undefined && news.progress === undefined ? null : await redactorOf(env, method, token);
  const clean =
    redact === null
      ? news
      : {
          ...(news.progress === undefined ? {} : { progress: redactProgress(redact, news.progress) }),
          ...(news.statusMessage === undefined ? {} : { statusMessage: redact.text(news.statusMessage) }),
        };
  const row = await objectOfTask(env, method, name, (o) => o.heartbeat(name, attempt, until, clean));
  if (!row) return refuse(env, name, attempt);
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
  const method = await methodOf(env, name, attempt);
  const redact = await redactorOf(env, method, token);
  const row = await reportOne(env, method, {
    name,
    attempt,
    outcome: {
      kind: "finished",
      result: outcome.result === null ? null : toJson(redact.json(fromJson(outcome.result))),
    },
    record: {
      debugLog: outcome.debugLog === null ? null : redact.text(outcome.debugLog),
      progress: outcome.progress === null ? null : redactProgress(redact, outcome.progress),
    },
  });
  if (!row) return refuse(env, name, attempt);
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
  const method = await methodOf(env, name, attempt);
  const target = splitRemote(method)?.target ?? method;
  const redact = await redactorOf(env, method, token);
  const row = await reportOne(env, method, {
    name,
    attempt,
    outcome: {
      kind: "failed",
      error: redact.text(`RemoteError: ${target}: ${failure.error}`),
      permanent: failure.permanent,
      ...(failure.minDelayMs === undefined ? {} : { minDelayMs: failure.minDelayMs }),
    },
    record: {
      debugLog: failure.debugLog === null ? null : redact.text(failure.debugLog),
      progress: failure.progress === null ? null : redactProgress(redact, failure.progress),
    },
  });
  if (!row) return refuse(env, name, attempt);
  return answer({ ...row, leaseUntil: null });
}
