// The method's Durable Object (one per method, `getByName(method)`): the system of record for the
// method's live tasks. Every transition — enqueue, admission, claim, progress, outcome, cancel,
// pause, resume, retry, run-now, timers — is a synchronous compare-and-set on its state (live.ts
// and the modules beside it); this class only sequences the I/O around them: sending admitted
// attempts, writing the log in groups and publishing their events, its single alarm, telling
// running consumers that their attempt is over, and asking D1 for its settings when it wakes.
import { DurableObject } from "cloudflare:workers";
import { getDb } from "../db/client";
import { writeLog } from "../db/log";
import { readLiveLog, readMethodSettings, readBatch, committedBulks, readWatches, markMethodLive } from "../db/live-log";
import { publishTaskEvents, type EventRow, type Watches } from "../events/events";
import { config } from "../shared/config";
import { describeError, log } from "../shared/log";
import { count, snapshot } from "../shared/metrics";
import { callObject } from "../shared/object-call";
import { ACTION_ADMITS, applyAction, type ActionOptions, type TaskAction } from "./actions";
import { admit, claim, fireTimers, messagesFor, nextTimer, type Delivery, type FiredTimers } from "./dispatch";
import { adoptTask, dropHold, insertTasks, releaseHold, type Inserted, type NewTask } from "./enqueue";
import { Live, changeOf, type MethodSettings } from "./live";
import { confirmLogGroup, takeLogGroup } from "./log";
import { sendTaskMessages } from "./messages";
import {
  applyOutcomes,
  failAttempt,
  heartbeat,
  pauseBatchHere,
  recordProgress,
  type OutcomeReport,
  type OutcomeResult,
} from "./outcome";
import { Store, type TaskRecord } from "./store";
import { waitingFacts, type WaitingFacts } from "./waiting";

/** While the object holds work, its alarm is never further away than this (a wake after eviction). */
const SAFETY_ALARM_MS = 30_000;
/** Backoff after a failed log write or send, up to its cap. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** Most tasks in one log group. */
const LOG_GROUP_MAX = 2_000;
/** How long `live_until` in the method registry lasts; renewed while the object holds work. */
const LIVE_MARK_MS = 10 * 60_000;
/** How often the watch cache behind progress events is re-read while progress flows. */
const WATCH_REFRESH_MS = 10_000;

/** One attempt a consumer runs and wants to hear about (the cancel channel). */
interface Listener {
  name: string;
  attempt: number;
}

export class MethodTasks extends DurableObject<Env> {
  private readonly live: Live;
  private readonly method: string;
  /** Settings read and the log reconciled: admission and log writes wait for it. */
  private settled = false;
  private settling: Promise<void> | null = null;
  private rerun = false;
  private passing: Promise<void> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private flushing = false;
  private failures = 0;
  private alarmAt: number | null | undefined;
  private liveMarkUntil = 0;
  private readonly watches = new Map<string, Watches>();
  private allWatchUntil: number | null = null;
  private watchesReadAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const name = ctx.id.name;
    if (name === undefined) throw new Error("MethodTasks must be addressed by name (getByName(method))");
    this.method = name;
    const cfg = config(env);
    this.live = new Live(new Store(ctx.storage.sql), name, cfg, { limit: 0, priority: 0, dispatcherOn: true });
    void ctx.blockConcurrencyWhile(async () => {
      this.live.load(Date.now());
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
    return waitingFacts(this.live, name);
  }

  /** Counts of live tasks by status, for ops. */
  summary() {
    count({ doRequests: 1 });
    return { ...this.live.summary(), limit: this.live.settings.limit, running: this.live.running() };
  }

  /** The tasks of a batch this object holds, as they are now. */
  batchTasks(batchId: string): TaskRecord[] {
    count({ doRequests: 1 });
    return this.live.batchTasks(batchId);
  }

  /** A schedule's runs still active here (its overlap policy). */
  activeRuns(schedule: string): string[] {
    count({ doRequests: 1 });
    return this.live.activeRuns(schedule);
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
  async enqueue(tasks: NewTask[], options: { hold?: string; pauseRest?: string[] } = {}): Promise<Inserted[]> {
    count({ doRequests: 1 });
    await this.settledNow();
    const now = Date.now();
    const results = this.ctx.storage.transactionSync(() => {
      if (options.pauseRest) this.live.notePauseRest(options.pauseRest);
      return insertTasks(this.live, tasks, options.hold ?? null, now);
    });
    this.afterChange(results.some((r) => r.created) && options.hold === undefined);
    return results;
  }

  /** Releases a committed bulk enqueue's held tasks. */
  release(hold: string): boolean {
    count({ doRequests: 1 });
    const released = this.ctx.storage.transactionSync(() => releaseHold(this.live, hold, Date.now()));
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
  async act(action: TaskAction, names: string[], options: ActionOptions = {}, logged: TaskRecord[] = []) {
    count({ doRequests: 1 });
    await this.settledNow();
    const now = Date.now();
    const { changed, stopped } = this.ctx.storage.transactionSync(() => {
      for (const task of logged) adoptTask(this.live, task, now, this.live.cfg.leaseGraceMs);
      return applyAction(this.live, action, names, options, now);
    });
    this.tellOver(stopped);
    this.afterChange(changed.length > 0 && ACTION_ADMITS[action]);
    return changed;
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
    this.live.settings = { ...this.live.settings, ...settings };
    this.afterChange(true);
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
    const { results, pauseBatches } = this.ctx.storage.transactionSync(() => applyOutcomes(this.live, reports, now));
    this.tellOver(results.filter((r) => r.task === null).map((r) => r.name));
    this.pauseElsewhere(pauseBatches);
    this.afterChange(true);
    return results;
  }

  /** Progress of a running attempt; null tells the handler its attempt is over. */
  progress(name: string, attempt: number, progress: string): TaskRecord | null {
    count({ doRequests: 1 });
    const task = recordProgress(this.live, name, attempt, progress, Date.now());
    if (task) this.publishNow(task);
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
    if (task && news.statusMessage === undefined) this.publishNow(task);
    this.afterChange(false);
    return task;
  }

  /** A dead-lettered message: its attempt fails (and may be retried) if it is still Queued. */
  deadLetter(name: string, attempt: number): TaskRecord | null {
    count({ doRequests: 1 });
    const a = this.live.inFlight.get(name);
    if (!a || a.attempt !== attempt || a.status !== "Queued") return null;
    const failure = { error: "DeadLettered: the task's queue message could not be processed", permanent: false };
    const result = this.ctx.storage.transactionSync(() => failAttempt(this.live, a, failure, null, Date.now()));
    this.pauseElsewhere(result.pauseBatch === null ? [] : [result.pauseBatch]);
    this.afterChange(true);
    return result.task;
  }

  /**
   * The consumer's cancel channel (a hibernatable WebSocket): it names the attempts it runs, and
   * is told as soon as one of them is over here (canceled, or failed by its lease).
   */
  override fetch(request: Request): Response {
    count({ doRequests: 1 });
    const header = request.headers.get("x-switchyard-attempts");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || header === null) {
      return new Response("expected a cancel-channel WebSocket upgrade", { status: 400 });
    }
    const listeners = (JSON.parse(header) as Listener[]).slice(0, 10);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(
      server,
      listeners.map((l) => l.name),
    );
    server.serializeAttachment(listeners);
    const over = listeners.filter((l) => !this.running(l)).map((l) => l.name);
    if (over.length > 0) server.send(JSON.stringify({ over }));
    return new Response(null, { status: 101, webSocket: client });
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
    const known = this.watches.get(name);
    this.watches.set(name, { watchUntil: Math.max(until, known?.watchUntil ?? 0), allWatchUntil: known?.allWatchUntil ?? null });
  }

  // ---- timers -----------------------------------------------------------------------------------

  /** The cron's safety net: fire what is due, admit, write the log, re-arm. */
  async tick(): Promise<void> {
    count({ doRequests: 1 });
    await this.onTimers();
  }

  override async alarm(): Promise<void> {
    count({ doRequests: 1 });
    this.alarmAt = null;
    await this.onTimers();
  }

  private async onTimers(): Promise<void> {
    if (!this.settled) await this.settle();
    const now = Date.now();
    const fired: FiredTimers = this.ctx.storage.transactionSync(() => fireTimers(this.live, now));
    this.tellOver(fired.lost);
    this.pauseElsewhere(fired.pauseBatches);
    if (fired.resend.length > 0) {
      log.warn("re-sending lost messages", { method: this.method, tasks: fired.resend.map((a) => a.name) });
      await this.send(fired.resend);
    }
    if (fired.holds.length > 0) await this.settleHolds(fired.holds);
    this.afterChange(true);
    await this.passing;
    await this.flush();
    await this.armAlarm();
  }

  // ---- sequencing -------------------------------------------------------------------------------

  /** After any transition: admit if it may, write the log soon, keep the alarm right. */
  private afterChange(mayAdmit: boolean): void {
    if (mayAdmit) void this.schedulePass();
    this.scheduleFlush();
    void this.armAlarm().catch((error: unknown) => log.error("could not arm the alarm", describeError(error)));
  }

  /**
   * Runs admission. Requests that arrive while a pass runs are served by one more pass after it,
   * checked after every await — no request is ever dropped.
   */
  private schedulePass(): Promise<void> {
    this.rerun = true;
    this.passing ??= this.passLoop();
    return this.passing;
  }

  private async passLoop(): Promise<void> {
    // Start after the caller has stored this promise: a loop that finished synchronously would
    // otherwise clear `passing` before it is set, and no later request would start a pass.
    await Promise.resolve();
    try {
      while (this.rerun) {
        this.rerun = false;
        if (!this.settled) return;
        const cap = this.live.cfg.admitPerPass;
        const admitted = admit(this.live, Date.now(), cap);
        if (admitted.length === 0) continue;
        if (admitted.length >= cap) this.rerun = true;
        this.scheduleFlush();
        await this.send(admitted);
      }
    } finally {
      this.passing = null;
    }
  }

  /** Sends admitted attempts; on failure they go back in line and a pass is tried again later. */
  private async send(attempts: { name: string; attempt: number; queue: "short" | "default" | "long" }[]) {
    const messages = messagesFor(attempts, (queue) => (queue === "long" ? 1 : this.live.cfg.tasksPerMessage));
    try {
      await sendTaskMessages(this.env, this.method, messages);
    } catch (error) {
      log.error("could not send task messages; they go back in line", { method: this.method, ...describeError(error) });
      this.ctx.storage.transactionSync(() => {
        for (const a of attempts) {
          const current = this.live.inFlight.get(a.name);
          if (current?.status === "Queued" && current.attempt === a.attempt) {
            this.live.drop(a.name);
            const task = this.live.get(a.name);
            if (task) this.live.enterLine(task);
          }
        }
      });
      await this.armAlarm(Date.now() + RETRY_MIN_MS * 5);
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.live.dirty.size === 0) return;
    const wait = this.failures === 0 ? this.live.cfg.logFlushMs : Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1));
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, wait);
  }

  /** Writes one group to the log, then lets ended tasks go and publishes the group's events. */
  private async flush(): Promise<void> {
    if (this.flushing || !this.settled) return;
    this.flushing = true;
    try {
      const now = Date.now();
      const group = takeLogGroup(this.live, now, this.live.cfg.logDelayMs, LOG_GROUP_MAX);
      if (group.tasks.length === 0) return;
      const liveMark = this.liveMarkUntil < now + LIVE_MARK_MS / 2 ? now + LIVE_MARK_MS : null;
      const { written, batches } = await writeLog(getDb(this.env), group.tasks, now);
      if (liveMark !== null) {
        await markMethodLive(getDb(this.env), this.method, liveMark);
        this.liveMarkUntil = liveMark;
      }
      this.failures = 0;
      this.ctx.storage.transactionSync(() => confirmLogGroup(this.live, group));
      const counters = new Map(batches.map((b) => [b.batchId, b]));
      const events: EventRow[] = [];
      for (const row of written) {
        const watches = { watchUntil: row.watchUntil, allWatchUntil: row.allWatchUntil };
        this.noteWatches(row.name, watches);
        for (const change of group.changes.get(row.name) ?? []) {
          if (change.seq <= row.seq) events.push({ ...change, ...watches });
        }
      }
      await publishTaskEvents(this.env, events, Date.now(), counters);
    } catch (error) {
      this.failures++;
      log.error("log write failed; it will be tried again", { method: this.method, ...describeError(error) });
    } finally {
      this.flushing = false;
      this.scheduleFlush();
    }
  }

  /** Keeps the single alarm at the earliest timer (and within reach while work is held). */
  private async armAlarm(at?: number): Promise<void> {
    const now = Date.now();
    let next = at ?? nextTimer(this.live);
    if (this.live.busy()) next = Math.min(next ?? Infinity, now + SAFETY_ALARM_MS);
    if (next === null || next === Infinity) return;
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= next) return;
    await this.ctx.storage.setAlarm(next);
    count({ alarmsSet: 1 });
    this.alarmAt = next;
  }

  /**
   * Reads the method's settings and reconciles with the log (once per wake, before anything is
   * admitted or written): a task the log shows live that this object does not hold is adopted
   * (a database from before live tasks moved here, or a lost row); one it holds in another state
   * is written again. If D1 cannot be reached, the alarm tries again.
   */
  private settle(): Promise<void> {
    this.settling ??= this.readSettingsAndReconcile().finally(() => (this.settling = null));
    return this.settling;
  }

  private async readSettingsAndReconcile(): Promise<void> {
    if (this.settled) return;
    try {
      const db = getDb(this.env);
      this.live.settings = await readMethodSettings(db, this.method);
      const now = Date.now();
      for await (const page of readLiveLog(db, this.method)) {
        this.ctx.storage.transactionSync(() => {
          const held = new Map(this.live.getMany(page.map((t) => t.name)).map((t) => [t.name, t]));
          for (const logged of page) {
            const task = held.get(logged.name);
            if (!task) adoptTask(this.live, logged, now, this.live.cfg.leaseGraceMs);
            else if (task.seq !== logged.seq || task.status !== logged.status) this.live.markDirty(task, now);
          }
        });
      }
      this.settled = true;
      this.afterChange(true);
    } catch (error) {
      log.error("could not read the method's settings; trying again", { method: this.method, ...describeError(error) });
      await this.armAlarm(Date.now() + RETRY_MIN_MS * 5).catch(() => undefined);
    }
  }

  /** Waits until settled (trying once more now if the first attempt failed). */
  private async settledNow(): Promise<void> {
    if (!this.settled) await this.settle();
    if (!this.settled) throw new Error(`the object of ${this.method} cannot read its settings yet`);
  }

  /** Held bulk enqueues whose commit is overdue: released if the bulk committed, dropped if not. */
  private async settleHolds(tokens: string[]): Promise<void> {
    try {
      const committed = await committedBulks(getDb(this.env), tokens);
      this.ctx.storage.transactionSync(() => {
        for (const token of tokens) {
          if (committed.has(token)) releaseHold(this.live, token, Date.now());
          else dropHold(this.live, token);
        }
      });
    } catch (error) {
      log.warn("could not check held bulk enqueues", { method: this.method, ...describeError(error) });
    }
  }

  /** Tells consumers that these attempts are over (their cancel channels). */
  private tellOver(names: readonly string[]): void {
    for (const name of names) {
      for (const ws of this.ctx.getWebSockets(name)) {
        const listeners = ws.deserializeAttachment() as Listener[] | null;
        const mine = (listeners ?? []).filter((l) => l.name === name && !this.running(l));
        if (mine.length === 0) continue;
        try {
          ws.send(JSON.stringify({ over: [name] }));
        } catch {
          // the consumer is gone; its attempt's outcome will be discarded
        }
      }
    }
  }

  private running(l: Listener): boolean {
    const a = this.live.inFlight.get(l.name);
    return a !== undefined && a.attempt === l.attempt && a.status === "Started";
  }

  /** pause_rest reaches the batch's tasks in other objects. */
  private pauseElsewhere(batchIds: readonly string[]): void {
    for (const batchId of batchIds) {
      void (async () => {
        try {
          const batch = await readBatch(getDb(this.env), batchId);
          const others = (batch?.methods ?? []).filter((m) => m !== this.method);
          const message = `paused: a task of batch ${batchId} failed`;
          await Promise.all(others.map((m) => callObject(() => this.env.METHOD_TASKS.getByName(m).pauseBatch(batchId, message))));
        } catch (error) {
          log.error("could not pause the rest of a batch", { batch: batchId, ...describeError(error) });
        }
      })();
    }
  }

  private noteWatches(name: string, watches: Watches): void {
    this.watches.set(name, watches);
    if (watches.allWatchUntil !== null) this.allWatchUntil = Math.max(this.allWatchUntil ?? 0, watches.allWatchUntil);
    if (this.watches.size > 10_000) this.watches.clear();
  }

  /** Publishes a change that is not written to the log (progress) to whoever watches its task. */
  private publishNow(task: TaskRecord): void {
    void (async () => {
      const now = Date.now();
      if (now - this.watchesReadAt > WATCH_REFRESH_MS) {
        this.watchesReadAt = now;
        try {
          const read = await readWatches(getDb(this.env), task);
          this.noteWatches(task.name, read);
          this.allWatchUntil = read.allWatchUntil;
        } catch (error) {
          log.warn("could not read watches", describeError(error));
        }
      }
      const watches = this.watches.get(task.name);
      const row: EventRow = {
        ...changeOf(task),
        watchUntil: watches?.watchUntil ?? null,
        allWatchUntil: this.allWatchUntil,
      };
      await publishTaskEvents(this.env, [row], now);
    })();
  }
}
