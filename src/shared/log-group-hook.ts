// The seam through which a method's object lets another concern add to its log writes (completion
// webhooks): the object's log writer asks the hook for statements to run in the same D1 batch as
// the group, and tells it once they are written. src/index.ts installs the hook, so src/live
// imports nothing above its layer.

/** What the hook learns of each task in a log group (a TaskRow satisfies it). */
export interface LoggedTaskFacts {
  name: string;
  jobName: string;
  method: string;
  owner: string;
  status: string;
  batchId: string | null;
  seq: number;
  attempt: number;
  wakeAt: number | null;
  endedAt: number | null;
  timeTaken: number | null;
  errorMessage: string | null;
}

/** What the hook adds to one log write. */
export interface LogGroupAddition {
  /** Run after the group's upserts, in the same D1 batch (one transaction). */
  statements: D1PreparedStatement[];
  /** Called once the batch is written; must not throw (it is not awaited by the writer). */
  written(): Promise<void>;
}

/** A hook on log writes. `prepare` must be cheap when nothing matches: no D1 statement of its own. */
export interface LogGroupHook {
  prepare(env: Env, tasks: readonly LoggedTaskFacts[], now: number): Promise<LogGroupAddition | null>;
}

let installed: LogGroupHook | null = null;

/** Installs the hook (src/index.ts, once, at module load). */
export function installLogGroupHook(hook: LogGroupHook): void {
  installed = hook;
}

/** The installed hook, if any. */
export function logGroupHook(): LogGroupHook | null {
  return installed;
}
