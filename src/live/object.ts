// The method's Durable Object (one per method, `getByName(method)`): the system of record for the
// method's live tasks. Every transition — enqueue, admission, claim, progress, outcome, cancel,
// pause, resume, retry, run-now, timers — is a synchronous compare-and-set on its state (live.ts
// and the modules beside it), in one storage transaction. This class is its RPC surface; around
// each transition it asks for admission (admitter.ts), a log write (log-writer.ts), its one alarm,
// and tells running consumers when their attempt is over (cancel-listeners.ts).
import { argumentsObject } from "../shared/json";
import { DurableObject } from "cloudflare:workers";
import { getDb } from "../db/client";
import { committedBulks, readBatch } from "../db/live-log";
import { config } from "../shared/config";
import { isEnded } from "../shared/states";
import { DEFAULT_FLOW } from "../shared/flow";
import { describeError, log } from "../shared/log";
import { count, snapshot } from "../shared/metrics";
import { callObject } from "../shared/object-call";
import { attemptSpan, traceFields } from "../shared/trace";
import { ACTION_ADMITS, applyAction, type ActionOptions, type TaskAction } from "./actions";
import { Admitter } from "./admitter";
import { acceptChannel, tellOver } from "./cancel-listeners";
import type { ObjectContext } from "./context";
import { claim, fireTimers, nextTimer, type Delivery } from "./dispatch";
import { dropHold, insertTasks, releaseHold, type EnqueueMisplaced, type Inserted, type NewTask } from "./enqueue";
import type { MethodCounts } from "./counters";
import { Live, type LiveState, type MethodSettings } from "./live";
import { LogWriter } from "./log-writer";
import {
  applyOutcomes,
  failAttempt,
  heartbeat,
  pauseBatchHere,
  recordProgress,
  type OutcomeReport,
  type OutcomeResult,
} from "./outcome";
import { flowKeyIssue, type EnqueueRefused } from "./flow-enqueue";
import { liveGauges, liveSummary } from "./figures";
import { flowUsage, type FlowUsage } from "./flow-usage";
import { readSettings, reconcile } from "./settle";
import { Store, type TaskRecord } from "./store";
import { waitingFacts, type WaitingFacts } from "./waiting";
import { Watching } from "./watching";
import { shardCount } from "../db/routes";
import { parseShardObjectName, placeTask, shardKey, shardObjectName, shardObjectNames } from "../shared/shards";
import type { ResolvedFlow } from "../shared/flow";
import { SlotPool, type SlotGrant, type SlotReport } from "./slot-pool";
import { Slots } from "./slots";

/**
 * While the object owes the log anything (or a pause_rest to other objects), its alarm is never
 * further away than this (a wake after eviction).
 */
const SAFETY_ALARM_MS = 30_000;

/** One method's part of the metrics (see `telemetry`). */
export interface MethodTelemetry {
  counts: MethodCounts;
  states: Record<LiveState, number>;
  oldestWaitingSince: number | null;
  limit: number;
  running: number;
  /** Waiting tasks a throttle holds back now (flow control). */
  throttled: number;
  /** Tasks a rate limit refused so far (flow control). */
  rateLimited: number;
}
/** How soon to try again when D1 or a queue could not be reached. */
const RETRY_MS = 5_000;

export class MethodTasks extends DurableObject<Env> {
  private readonly object: ObjectContext;
  private readonly live: Live;
  private readonly admitter: Admitter;
  private readonly writer: LogWriter;
  private readonly watching: Watching;
  private readonly slots: Slots;
  /** Settings read and the log reconciled since the object woke: admission and log writes wait for it. */
  private settled = false;
  private settling: Promise<void> | null = null;
  private alarmAt: number | null | undefined;
  /** pause_rest deliveries under way (see pauseElsewhere). */
  private readonly pausing = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    if (ctx.id.name === undefined) throw new Error("MethodTasks must be addressed by name (getByName(method))");
    const { method, shard } = parseShardObjectName(ctx.id.name);
    const store = new Store(ctx.storage.sql);
    this.live = new Live(store, method, config(env), {
      limit: 0,
      priority: 0,
      dispatcherOn: true,
      flow: DEFAULT_FLOW,
      shardObjects: 1,
    });
    this.object = { env, method, shard, live: this.live, storage: ctx.storage };
    this.watching = new Watching(this.object);
    this.slots = new Slots(
      this.object,
      shard === 0 ? new SlotPool(store) : null,
      () => void this.admitter.request(),
      (others) => this.tellShards(others),
    );
    this.admitter = new Admitter(
      this.object,
      () => this.settled,
      () => void this.armAlarm(Date.now() + RETRY_MS),
      () => void this.armAlarm().catch((error: unknown) => log.error("could not arm the alarm", describeError(error))),
      this.slots,
    );
    this.writer = new LogWriter(this.object, this.watching, () => this.settled);
    void ctx.blockConcurrencyWhile(async () => {
      this.live.load(Date.now());
      this.slots.load();
      await this.settle();
    });
  }

  // ---- reads ------------------------------------------------------------------------------------

  /** The task as it is now, or null when this object does not hold it. */
  get(name: string): TaskRecord | null {
    count({ doRequests: 1 });
    return this.live.get(name);
  }

  /** Several tasks as they are now (those this object holds). */
  getMany(names: string[]): TaskRecord[] {
    count({ doRequests: 1 });
    return this.live.getMany(names);
  }

  /** Why a task waits: the admission rule's facts for it now (null: not held here). */
  async waiting(name: string): Promise<WaitingFacts | null> {
    count({ doRequests: 1 });
    await this.settledNow();
    const leasing = this.slots.leasing();
    this.live.leased = leasing ? this.slots.usable() : null;
    return waitingFacts(
      this.live,
      name,
      Date.now(),
      leasing ? { shard: this.object.shard, slots: this.slots.held() } : null,
    );
  }

  /** Counts of live tasks by status, for ops (with what flow control holds back and refused). */
  summary() {
    count({ doRequests: 1 });
    const usage = flowUsage(this.live, Date.now(), true);
    return {
      ...liveSummary(this.live),
      limit: this.live.settings.limit,
      running: this.live.running(),
      throttled: usage.throttled,
      rateLimited: usage.rate_limited,
    };
  }

  /** Flow control in use now: per-key running counts, throttles, waiting per fairness key. */
  async flowUsage(): Promise<FlowUsage & { limit: number; running: number; slots: number | null }> {
    count({ doRequests: 1 });
    await this.settledNow();
    return {
      ...flowUsage(this.live, Date.now()),
      limit: this.live.settings.limit,
      running: this.live.running(),
      slots: this.slots.leasing() ? this.slots.held() : null,
    };
  }

  /** The tasks of a batch this object holds, as they are now. */
  batchTasks(batchId: string): TaskRecord[] {
    count({ doRequests: 1 });
    return this.live.batchTasks(batchId);
  }

  /** A schedule's runs still active here (its overlap policy). */
  /** The live tasks that run `name` again (only `owner`'s when given). */
  reruns(name: string, owner?: string): string[] {
    count({ doRequests: 1 });
    return this.live.rerunsOf(name, owner);
  }

  activeRuns(schedule: string): string[] {
    count({ doRequests: 1 });
    return this.live.activeRuns(schedule);
  }

  /**
   * What GET /api/v1/metrics reads of this method: its counters, its live tasks by state, since
   * when the longest-waiting one could start, its limit and the dispatcher switch as it knows it.
   */
  async telemetry(): Promise<MethodTelemetry> {
    count({ doRequests: 1 });
    await this.settledNow();
    const usage = flowUsage(this.live, Date.now(), true);
    return {
      counts: this.live.counters.read(),
      ...liveGauges(this.live),
      limit: this.live.settings.limit,
      running: this.live.running(),
      throttled: usage.throttled,
      rateLimited: usage.rate_limited,
    };
  }

  /** This isolate's operation counters (for the benchmark). */
  metrics() {
    return snapshot();
  }

  // ---- new tasks --------------------------------------------------------------------------------

  /**
   * Inserts tasks (one transaction; idempotent by name; dedupe per owner and key). With `hold`,
   * they wait invisible until `release(hold)` — a bulk enqueue spanning objects commits first.
   */
  async enqueue(
    tasks: NewTask[],
    options: { hold?: string; pauseRest?: string[] } = {},
  ): Promise<Inserted[] | EnqueueRefused | EnqueueMisplaced> {
    count({ doRequests: 1 });
    await this.settledNow();
    if (tasks.some((task) => misplaced(task, this.live.settings.flow, this.object.shard))) return { misplaced: true };
    const stopped: string[] = [];
    let results: Inserted[];
    try {
      results = this.ctx.storage.transactionSync(() => {
        if (options.pauseRest) this.live.notePauseRest(options.pauseRest);
        return insertTasks(this.live, tasks, options.hold ?? null, Date.now(), stopped);
      });
    } catch (error) {
      // A task's arguments lack a flow control key: the transaction wrote nothing; say which.
      const issue = flowKeyIssue(error);
      if (issue === null) throw error;
      return { refused: issue };
    }
    tellOver(this.ctx, this.live, stopped);
    this.afterChange(results.some((r) => r.created) && options.hold === undefined);
    // The minute cron and the ops summary find this method by its mark: set it before answering.
    await this.writer.markLive();
    return results;
  }

  /** Releases a committed bulk enqueue's held tasks. */
  release(hold: string): boolean {
    count({ doRequests: 1 });
    const stopped: string[] = [];
    const released = this.ctx.storage.transactionSync(() => releaseHold(this.live, hold, Date.now(), stopped));
    tellOver(this.ctx, this.live, stopped);
    this.afterChange(released);
    return released;
  }

  /** Drops a bulk enqueue's held tasks (it did not commit). */
  discard(hold: string): void {
    count({ doRequests: 1 });
    this.ctx.storage.transactionSync(() => dropHold(this.live, hold));
  }

  // ---- user actions -----------------------------------------------------------------------------

  /**
   * Applies a user action to the named tasks it allows. Ended tasks the log already has (and
   * this object no longer holds) come back through `logged` for a retry. Running attempts a
   * cancel ends are told at once over their consumers' cancel channels.
   */
  async act(
    action: TaskAction,
    names: string[],
    options: ActionOptions = {},
    logged: TaskRecord[] = [],
  ): Promise<{ changed: TaskRecord[]; refused: string | null }> {
    count({ doRequests: 1 });
    await this.settledNow();
    const now = Date.now();
    const { changed, stopped, refused } = this.ctx.storage.transactionSync(() =>
      applyAction(this.live, action, names, options, now, logged),
    );
    tellOver(this.ctx, this.live, stopped);
    this.urgeLog(changed);
    this.afterChange(changed.length > 0 && ACTION_ADMITS[action]);
    return { changed, refused };
  }

  /** Pauses this object's Pending tasks of a batch whose task failed for good (pause_rest). */
  pauseBatch(batchId: string, message: string): TaskRecord[] {
    count({ doRequests: 1 });
    const paused = this.ctx.storage.transactionSync(() => pauseBatchHere(this.live, batchId, message, Date.now()));
    this.afterChange(false);
    return paused;
  }

  /** The task type or the dispatcher switch changed (the caller has written D1). */
  async configure(settings: Partial<MethodSettings>): Promise<void> {
    count({ doRequests: 1 });
    await this.settledNow();
    const limitBefore = this.live.settings.limit;
    this.live.settings = { ...this.live.settings, ...settings };
    if (this.live.settings.limit !== limitBefore) this.slots.settingsChanged();
    this.afterChange(true);
  }

  // ---- a sharded method's slots (slots.ts, slot-pool.ts) ------------------------------------------

  /** A shard's report to the slot pool (shard 0): its grant now. */
  async slotReport(report: SlotReport): Promise<SlotGrant> {
    count({ doRequests: 1, slotCalls: 1 });
    await this.settledNow();
    const grant = this.ctx.storage.transactionSync(() => this.slots.answer(report));
    this.afterChange(true);
    return grant;
  }

  /** Slots (or a new share) pushed by the slot pool. */
  async slotGrant(grant: SlotGrant): Promise<void> {
    count({ doRequests: 1, slotCalls: 1 });
    await this.settledNow();
    this.ctx.storage.transactionSync(() => this.slots.apply(grant));
    this.afterChange(true);
  }

  /** Pushes grants to other shards; a lost push is made good by the shard asking again (its alarm). */
  private tellShards(others: Map<number, SlotGrant>): void {
    for (const [shard, grant] of others) {
      const name = shardObjectName(this.object.method, shard);
      void callObject(() => this.env.METHOD_TASKS.getByName(name).slotGrant(grant)).catch((error: unknown) =>
        log.warn("could not tell a shard of its slots; it asks again", {
          method: this.object.method,
          shard,
          ...describeError(error),
        }),
      );
    }
  }

  // ---- the consumer's side ----------------------------------------------------------------------

  /** Queued → Started for the deliveries that match their task's attempt; the claimed tasks. */
  claim(deliveries: Delivery[]): TaskRecord[] {
    count({ doRequests: 1 });
    const claimed = this.ctx.storage.transactionSync(() => claim(this.live, deliveries, Date.now()));
    this.afterChange(false);
    return claimed;
  }

  /** Outcomes (finished, failed, canceled, accepted by a remote) of attempts, reported together. */
  report(reports: OutcomeReport[]): OutcomeResult[] {
    count({ doRequests: 1 });
    const now = Date.now();
    const { results } = this.ctx.storage.transactionSync(() => {
      const applied = applyOutcomes(this.live, reports, now);
      this.live.notePauseOut(applied.pauseBatches);
      return applied;
    });
    this.pauseElsewhere();
    this.urgeLog(results.map((r) => r.task));
    this.afterChange(true);
    return results;
  }

  /** Progress of a running attempt; null tells the handler its attempt is over. */
  progress(name: string, attempt: number, progress: string): TaskRecord | null {
    count({ doRequests: 1 });
    const task = recordProgress(this.live, name, attempt, progress);
    if (task) this.publishProgress(task);
    return task;
  }

  /** A remote's heartbeat callback (lease, progress, status message); null when the attempt is over. */
  heartbeat(
    name: string,
    attempt: number,
    until: number,
    news: { progress?: string; statusMessage?: string },
  ): TaskRecord | null {
    count({ doRequests: 1 });
    const task = heartbeat(this.live, name, attempt, until, news, Date.now());
    // A new status message is a change for the log (and its event); progress alone is published now.
    if (task && news.statusMessage === undefined) this.publishProgress(task);
    this.afterChange(false);
    return task;
  }

  /** A dead-lettered message: its attempt fails (and may be retried) if it is still Queued. */
  deadLetter(name: string, attempt: number): TaskRecord | null {
    count({ doRequests: 1 });
    const a = this.live.inFlight.get(name);
    if (!a || a.attempt !== attempt || a.status !== "Queued") return null;
    const failure = { error: "DeadLettered: the task's queue message could not be processed", permanent: false };
    const result = this.ctx.storage.transactionSync(() => {
      this.live.counters.add("deadLetters");
      const failed = failAttempt(this.live, a, failure, null, Date.now());
      if (failed.pauseBatch !== null) this.live.notePauseOut([failed.pauseBatch]);
      return failed;
    });
    this.pauseElsewhere();
    this.afterChange(true);
    return result.task;
  }

  /** The consumers' cancel channel (see cancel-listeners.ts). */
  override fetch(request: Request): Response {
    count({ doRequests: 1 });
    return acceptChannel(this.ctx, this.live, request);
  }

  override webSocketMessage(): void {
    // The channel only speaks one way.
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  /** A task's subscriber appeared (the realtime hub says so): its progress events go out from now on. */
  watched(name: string, until: number): void {
    count({ doRequests: 1 });
    this.watching.watched(name, until);
  }

  /**
   * Writes everything the log lacks now, new tasks included (no waiting for their delay), and
   * publishes its events. For operators and tests that need the log to have caught up.
   */
  async flushNow(): Promise<void> {
    count({ doRequests: 1 });
    await this.settledNow();
    await this.writer.writeAll();
  }

  // ---- timers -----------------------------------------------------------------------------------

  /**
   * The minute cron's safety net: reconcile with the log (adopting what only the log shows live),
   * fire what is due, admit, write the log, re-arm.
   */
  async tick(): Promise<void> {
    count({ doRequests: 1 });
    if (this.settled) {
      try {
        await this.writer.exclusive(() => reconcile(this.object));
      } catch (error) {
        log.error("could not reconcile with the log", { method: this.object.method, ...describeError(error) });
      }
    }
    await this.onTimers();
  }

  override async alarm(): Promise<void> {
    count({ doRequests: 1 });
    this.alarmAt = null;
    await this.onTimers();
  }

  private async onTimers(): Promise<void> {
    if (!this.settled) await this.settle();
    const fired = this.ctx.storage.transactionSync(() => {
      const due = fireTimers(this.live, Date.now());
      this.live.notePauseOut(due.pauseBatches);
      return due;
    });
    for (const name of fired.lost) {
      const task = this.live.get(name);
      const span = task === null ? null : attemptSpan(task);
      log.warn("lease expired", { task: name, method: this.object.method, ...(span ? traceFields(span) : {}) });
    }
    tellOver(this.ctx, this.live, fired.lost);
    // Also any pause_rest an earlier wake could not deliver.
    this.pauseElsewhere();
    if (fired.resend.length > 0) {
      log.warn("re-sending lost messages", { method: this.object.method, tasks: fired.resend.map((a) => a.name) });
      await this.admitter.send(fired.resend);
    }
    if (fired.holds.length > 0) await this.settleHolds(fired.holds);
    this.afterChange(true);
    await this.admitter.idle();
    await this.armAlarm();
  }

  // ---- sequencing -------------------------------------------------------------------------------

  /**
   * A task's events go out in seq order: while earlier changes of the task still wait for the log,
   * its progress waits with them (and goes out with them); otherwise it is published at once.
   */
  private publishProgress(task: TaskRecord): void {
    if (this.live.dirty.has(task.name) || this.live.publishing.has(task.name)) this.live.markDirty(task, Date.now());
    else this.watching.publish(task);
  }

  /** After any transition: admit if it may, write the log soon, keep the alarm right. */
  private afterChange(mayAdmit: boolean): void {
    if (mayAdmit) void this.admitter.request();
    this.writer.schedule();
    void this.armAlarm().catch((error: unknown) => log.error("could not arm the alarm", describeError(error)));
  }

  /** Keeps the single alarm at the earliest timer (and within reach while the log is owed anything). */
  private async armAlarm(at?: number): Promise<void> {
    let next = at ?? nextTimer(this.live);
    if (this.slots.askAgainAt !== null) next = Math.min(next ?? Infinity, this.slots.askAgainAt);
    if (this.live.owesLog() || this.live.pauseOut.size > 0)
      next = Math.min(next ?? Infinity, Date.now() + SAFETY_ALARM_MS);
    if (next === null || next === Infinity) return;
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= next) return;
    await this.ctx.storage.setAlarm(next);
    count({ alarmsSet: 1 });
    this.alarmAt = next;
  }

  /** Reads the settings and reconciles with the log, once per wake; if D1 fails, the alarm tries again. */
  private settle(): Promise<void> {
    this.settling ??= (async () => {
      if (this.settled) return;
      try {
        await readSettings(this.object);
        await this.writer.exclusive(() => reconcile(this.object));
        this.settled = true;
        this.afterChange(true);
      } catch (error) {
        log.error("could not read the method's settings; trying again", {
          method: this.object.method,
          ...describeError(error),
        });
        await this.armAlarm(Date.now() + RETRY_MS).catch(() => undefined);
      }
    })().finally(() => (this.settling = null));
    return this.settling;
  }

  /** Waits until settled (trying once more now if the first attempt failed). */
  private async settledNow(): Promise<void> {
    if (!this.settled) await this.settle();
    if (!this.settled) throw new Error(`the object of ${this.object.method} cannot read its settings yet`);
  }

  /** Held bulk enqueues whose commit is overdue: released if the bulk committed, dropped if not. */
  private async settleHolds(tokens: string[]): Promise<void> {
    try {
      const committed = await committedBulks(getDb(this.env), tokens);
      const stopped: string[] = [];
      this.ctx.storage.transactionSync(() => {
        for (const token of tokens) {
          if (committed.has(token)) releaseHold(this.live, token, Date.now(), stopped);
          else dropHold(this.live, token);
        }
      });
      tellOver(this.ctx, this.live, stopped);
    } catch (error) {
      log.warn("could not check held bulk enqueues", { method: this.object.method, ...describeError(error) });
    }
  }

  /**
   * pause_rest reaches the batch's tasks in other objects: every batch in `live.pauseOut` is sent
   * to the batch's other methods' objects, and forgotten only once all of them answered; until
   * then the alarm tries again, after a restart too.
   */
  private pauseElsewhere(): void {
    for (const batchId of this.live.pauseOut) {
      if (this.pausing.has(batchId)) continue;
      this.pausing.add(batchId);
      void (async () => {
        try {
          const db = getDb(this.env);
          const batch = await readBatch(db, batchId);
          // Every object of the batch's methods but this one (a sharded method has several).
          const self = shardObjectName(this.object.method, this.object.shard);
          const others: string[] = [];
          for (const m of batch?.methods ?? []) others.push(...shardObjectNames(m, await shardCount(db, m)));
          const message = `paused: a task of batch ${batchId} failed`;
          await Promise.all(
            others
              .filter((name) => name !== self)
              .map((name) => callObject(() => this.env.METHOD_TASKS.getByName(name).pauseBatch(batchId, message))),
          );
          this.ctx.storage.transactionSync(() => this.live.pauseDelivered(batchId));
        } catch (error) {
          log.error("could not pause the rest of a batch yet; trying again", {
            batch: batchId,
            ...describeError(error),
          });
          await this.armAlarm(Date.now() + RETRY_MS).catch(() => undefined);
        } finally {
          this.pausing.delete(batchId);
        }
      })();
    }
  }

  /** An ended task someone waits for (a long poll, a watcher) goes to the log — and out — at once. */
  private urgeLog(tasks: readonly (TaskRecord | null)[]): void {
    const now = Date.now();
    if (tasks.some((t) => t !== null && isEnded(t) && this.watching.isWatched(t.name, now))) this.writer.urge();
  }
}

/**
 * Whether a task belongs in another shard by the settings this object has: only a task whose
 * shard is decided by a key (the shard key, or a dedupe key) can be misplaced — by an isolate
 * that read the method's shard settings before they changed.
 */
function misplaced(task: NewTask, flow: ResolvedFlow, shard: number): boolean {
  if (shardKey(flow) === null && task.dedupeKey === null) return false;
  if (shard === 0 && flow.shards <= 1) return false;
  const expected = placeTask({ ...task, arguments: argumentsObject(task.arguments) }, flow);
  return expected !== null && expected !== shard;
}
