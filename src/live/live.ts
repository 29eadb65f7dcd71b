// The live state of one method, as its object holds it: task rows in the object's SQLite, the
// attempts in flight in memory (claimed ones also in claims rows), the head of the line, the
// tasks the log has yet to see. Everything here is synchronous: the object runs one request at a
// time, so every transition is a compare-and-set on the state it reads, with nothing in between.
// The transitions themselves live beside it (enqueue, dispatch, outcome, actions, log).
import type { TaskChange } from "../events/events";
import type { Config } from "../shared/config";
import { isLive } from "../shared/states";
import { effective, toEntry, type Attempt, type ClaimEntry } from "./attempt";
import { parseFlowKeys, type FlowKeys, type ResolvedFlow } from "../shared/flow";
import { Counters } from "./counters";
import { FairLine, type FairEntry } from "./fair-line";
import { Throttles } from "./flow-gate";
import { LINE_ORDER_SQL } from "./line";
import type { Store, StoredTask, TaskRecord } from "./store";

/** A task's fairness key in SQL: its stored one, else its owner. */
export const FAIR_KEY_SQL = "coalesce(flow_keys ->> '$.f', owner)";
/** The dispatchable rows (the caller binds ?1: held bulk tokens, ?2: names in flight, as JSON). */
const DISPATCHABLE_SQL = `status = 'Pending' AND wake_at IS NULL
  AND (hold IS NULL OR hold NOT IN (SELECT value FROM json_each(?1)))
  AND name NOT IN (SELECT value FROM json_each(?2))`;

/** What the object knows of its method's configuration (task type, dispatcher switch). */
export interface MethodSettings {
  /** 0 = unlimited. */
  limit: number;
  /** The task type's priority, for tasks enqueued without one. */
  priority: number;
  dispatcherOn: boolean;
  /** Flow control (docs/flow-control.md). */
  flow: ResolvedFlow;
  /** How many shard objects the method has ever had (1: one object; slots.ts). */
  shardObjects: number;
}

/** The states a live task is counted in by `gauges` (a scheduled retry is "Retrying"). */
export type LiveState = "Pending" | "Delayed" | "Paused" | "Queued" | "Started" | "Retrying";

/** A task's state at one transition, kept until the log has it and its event is published. */
export type Change = TaskChange;

/** How many changes of one task are kept for its events before older ones are dropped. */
const CHANGES_KEPT = 16;

/** A tick of the sequence per object wake: later transitions always outrank earlier ones. */
const SEQ_EPOCH = 1 << 24;

export const changeOf = (t: TaskRecord): Change => ({
  name: t.name,
  jobName: t.jobName,
  method: t.method,
  status: t.status,
  statusMessage: t.statusMessage,
  errorMessage: t.errorMessage,
  progress: t.progress,
  batchId: t.batchId,
  owner: t.owner,
  seq: t.seq,
  wakeAt: t.wakeAt,
  attempt: t.attempt,
  queue: t.queue,
});

export class Live {
  /** Attempts in flight (and ended ones the log has yet to record), by task name. */
  readonly inFlight = new Map<string, Attempt>();
  /** Claims rows and the tasks whose current attempt each still holds. */
  readonly claims = new Map<string, Set<string>>();
  /** Tasks the log has not seen in their current state, with their changes since. */
  readonly dirty = new Map<string, { since: number; changes: Change[] }>();
  /** Tasks whose logged changes are being published right now (a later event must wait for them). */
  readonly publishing = new Set<string>();
  /** Bulk enqueues whose tasks are held (token → when). */
  readonly holds = new Map<string, number>();
  /** Canceled tasks whose running attempt may still report what it left, until when. */
  readonly stopping = new Map<string, number>();
  /** Batches whose final failure pauses the rest (pause_rest) with tasks here. */
  readonly pauseRest = new Set<string>();
  /** Batches whose other methods' objects have yet to confirm a pause_rest this object sent. */
  readonly pauseOut = new Set<string>();
  readonly line: FairLine;
  /** Throttle state (one TAT per key, memory only; see flow-gate.ts). */
  throttles = new Throttles(0);
  /** Slots this shard holds of a sharded method's limit (null: not sharded; set before each pass). */
  leased: number | null = null;
  /** When a throttle next lets a held-back task go (set by each admission pass; null: none). */
  throttleWakeAt: number | null = null;
  /** Flow keys of the tasks in flight (a cache of their rows' flow_keys). */
  private readonly flightKeys = new Map<string, FlowKeys>();
  /** The method's counters for GET /api/v1/metrics (counters.ts). */
  readonly counters: Counters;
  private seqFloor = 0;

  constructor(
    readonly store: Store,
    readonly method: string,
    readonly cfg: Config,
    public settings: MethodSettings,
  ) {
    this.line = new FairLine(
      {
        ofKey: (key, limit) => this.lineOfKey(key, limit),
        ranked: (perKey, limit) => this.rankedLine(perKey, limit),
      },
      (key) => this.settings.flow.fairness?.weights[key] ?? 1,
    );
    this.counters = new Counters(cfg.taskMetrics);
  }

  /**
   * Rebuilds the state from storage after a wake: the claims rows give the attempts still current
   * (their task's row names an earlier attempt); everything not yet known to be logged is dirty.
   */
  load(now: number): void {
    this.store.migrate();
    this.counters.load(this.store);
    const epoch = Number(this.store.meta("epoch") ?? 0) + 1;
    this.store.setMeta("epoch", epoch);
    this.seqFloor = epoch * SEQ_EPOCH;
    this.holds.clear();
    for (const [token, since] of Object.entries(
      JSON.parse(this.store.metaText("holds") ?? "{}") as Record<string, number>,
    )) {
      this.holds.set(token, since);
    }
    this.pauseRest.clear();
    for (const id of JSON.parse(this.store.metaText("pause_rest") ?? "[]") as string[]) this.pauseRest.add(id);
    this.pauseOut.clear();
    for (const id of JSON.parse(this.store.metaText("pause_out") ?? "[]") as string[]) this.pauseOut.add(id);
    const rows = this.store.exec<{ id: string; entries: string }>(`SELECT id, entries FROM claims`);
    const stale: string[] = [];
    for (const { id, entries } of rows) {
      const parsed = JSON.parse(entries) as ClaimEntry[];
      const rowsByName = new Map(this.store.readTasks(parsed.map((e) => e.name)).map((r) => [r.name, r]));
      for (const entry of parsed) {
        const row = rowsByName.get(entry.name);
        const known = this.inFlight.get(entry.name);
        if (!row || row.attempt >= entry.attempt || (known && known.attempt >= entry.attempt)) continue;
        if (known?.claim) this.claims.get(known.claim)?.delete(entry.name);
        this.inFlight.set(entry.name, { ...entry, claim: id });
        this.ref(id, entry.name);
      }
      if (!this.claims.has(id)) stale.push(id);
    }
    if (stale.length > 0)
      this.store.exec(`DELETE FROM claims WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(stale));
    for (const attempt of this.inFlight.values()) this.markDirty(this.get(attempt.name), now);
    const mark = Number(this.store.meta("log_mark") ?? 0);
    for (const row of this.store.exec<{ name: string }>(`SELECT name FROM tasks WHERE changed_at >= ?`, mark)) {
      this.markDirty(this.get(row.name), now);
    }
    this.stopping.clear();
    for (const row of this.store.exec<{ name: string; lease_until: number }>(
      `SELECT name, lease_until FROM tasks WHERE status = 'Canceled' AND lease_until IS NOT NULL`,
    )) {
      this.stopping.set(row.name, row.lease_until);
    }
    this.line.reset();
    this.throttles = new Throttles(now, {
      load: () =>
        new Map(
          this.store.exec<{ key: string; tat: number }>(`SELECT key, tat FROM flow_tats`).map((r) => [r.key, r.tat]),
        ),
      save: (key, tat) =>
        this.store.exec(
          `INSERT INTO flow_tats (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat`,
          key,
          tat,
        ),
      loadUntil: () => {
        const until = this.store.meta("throttle_until");
        return typeof until === "number" ? until : null;
      },
      saveUntil: (until) => this.store.setMeta("throttle_until", until),
    });
  }

  /** The task as it is now (row and attempt), or null when this object does not hold it (or holds it back). */
  get(name: string): TaskRecord | null {
    const row = this.store.readTask(name);
    return row === null || this.isHeld(row) ? null : this.view(row);
  }

  /** Several tasks as they are now. */
  getMany(names: readonly string[]): TaskRecord[] {
    return this.store
      .readTasks(names)
      .filter((row) => !this.isHeld(row))
      .map((row) => this.view(row));
  }

  /** A stored row as the task is now: without its hold, with its attempt laid over it. */
  private view(row: StoredTask): TaskRecord {
    const { hold: _hold, changedAt: _changedAt, ...record } = row;
    return effective(record, this.inFlight.get(row.name));
  }

  /** Whether a row belongs to a bulk enqueue that has not been released yet. */
  isHeld(row: StoredTask): boolean {
    return row.hold !== null && this.holds.has(row.hold);
  }

  /** The next sequence number for a task whose current one is `seq`. */
  nextSeq(seq: number): number {
    return Math.max(seq, this.seqFloor) + 1;
  }

  /** Tasks holding a slot (Queued or Started). */
  running(): number {
    let n = 0;
    for (const a of this.inFlight.values()) if (a.status === "Queued" || a.status === "Started") n++;
    return n;
  }

  /** How many more tasks may be admitted now, at most `cap`. */
  freeSlots(cap: number): number {
    if (!this.settings.dispatcherOn) return 0;
    if (this.leased !== null) return Math.max(0, Math.min(cap, this.leased - this.running()));
    if (this.settings.limit === 0) return cap;
    return Math.max(0, Math.min(cap, this.settings.limit - this.running()));
  }

  /** Records a change for the log and for its event. */
  markDirty(task: TaskRecord | null, now: number): void {
    if (task === null) return;
    const entry = this.dirty.get(task.name) ?? { since: now, changes: [] };
    entry.changes.push(changeOf(task));
    if (entry.changes.length > CHANGES_KEPT) entry.changes.splice(1, entry.changes.length - CHANGES_KEPT);
    this.dirty.set(task.name, entry);
  }

  /** Writes a task's row with its durable state; an attempt it now records is no longer in flight. */
  writeRow(task: TaskRecord, now: number): void {
    this.store.writeTask(task, now);
    const attempt = this.inFlight.get(task.name);
    if (attempt && attempt.attempt <= task.attempt) this.drop(task.name);
  }

  /** Whether an ended task may leave the object once the log has it (no stopped attempt still to report). */
  mayLeave(name: string, now: number): boolean {
    const until = this.stopping.get(name);
    return until === undefined || until <= now;
  }

  /** Forgets a task's attempt; its claims row goes once no current attempt is left in it. */
  drop(name: string): void {
    const attempt = this.inFlight.get(name);
    if (!attempt) return;
    this.inFlight.delete(name);
    this.flightKeys.delete(name);
    if (attempt.claim !== null) this.unref(attempt.claim, name);
  }

  /** Writes a claims row with the current attempts it holds. */
  saveClaim(id: string): void {
    const names = this.claims.get(id);
    if (!names || names.size === 0) return;
    const entries = [...names].map((n) => this.inFlight.get(n)).filter((a): a is Attempt => a !== undefined);
    this.store.exec(
      `INSERT INTO claims (id, entries) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET entries = excluded.entries`,
      id,
      JSON.stringify(entries.map(toEntry)),
    );
  }

  ref(claim: string, name: string): void {
    const names = this.claims.get(claim) ?? new Set<string>();
    names.add(name);
    this.claims.set(claim, names);
  }

  private unref(claim: string, name: string): void {
    const names = this.claims.get(claim);
    if (!names) return;
    names.delete(name);
    if (names.size === 0) {
      this.claims.delete(claim);
      this.store.exec(`DELETE FROM claims WHERE id = ?`, claim);
    }
  }

  /** The line entry of a task. */
  static entry(
    t: Pick<TaskRecord, "name" | "lane" | "priority" | "orderKey" | "batchOrder" | "owner" | "flowKeys">,
  ): FairEntry {
    const keys = parseFlowKeys(t.flowKeys);
    return {
      name: t.name,
      lane: t.lane,
      priority: t.priority,
      orderKey: t.orderKey,
      batchOrder: t.batchOrder,
      key: keys.f ?? t.owner,
      keys,
    };
  }

  /** Whether a task stands in the line: Pending, no timer, not held, no attempt in flight. */
  inLine(t: TaskRecord): boolean {
    return t.status === "Pending" && t.wakeAt === null && !this.inFlight.has(t.name);
  }

  /** Puts a task in the line if it belongs there. */
  enterLine(t: TaskRecord): void {
    if (this.inLine(t)) this.line.add(Live.entry(t));
  }

  /** The flow keys of the tasks holding a slot (Queued or Started). */
  runningKeys(): FlowKeys[] {
    const missing = [...this.inFlight.values()]
      .filter((a) => (a.status === "Queued" || a.status === "Started") && !this.flightKeys.has(a.name))
      .map((a) => a.name);
    for (const row of this.store.readTasks(missing)) this.flightKeys.set(row.name, parseFlowKeys(row.flowKeys));
    const out: FlowKeys[] = [];
    for (const a of this.inFlight.values()) {
      if (a.status !== "Queued" && a.status !== "Started") continue;
      const keys = this.flightKeys.get(a.name);
      if (keys) out.push(keys);
    }
    return out;
  }

  /** Remembers the flow keys of a task going in flight (its row is at hand). */
  noteFlight(name: string, keys: FlowKeys): void {
    this.flightKeys.set(name, keys);
  }

  /** Bindings ?1 and ?2 of DISPATCHABLE_SQL. */
  private dispatchableBindings(): [string, string] {
    return [JSON.stringify([...this.holds.keys()]), JSON.stringify([...this.inFlight.keys()])];
  }

  private static fromLineRow(r: LineRow): FairEntry {
    return Live.entry({
      name: r.name,
      lane: r.lane,
      priority: r.priority,
      orderKey: r.order_key,
      batchOrder: r.batch_order,
      owner: r.owner,
      flowKeys: r.flow_keys,
    });
  }

  /** The first dispatchable rows of one fairness key, in line order. */
  private lineOfKey(key: string, limit: number): FairEntry[] {
    const rows = this.store.exec<LineRow>(
      `SELECT name, lane, priority, order_key, batch_order, owner, flow_keys FROM tasks
       WHERE ${DISPATCHABLE_SQL} AND ${FAIR_KEY_SQL} = ?3
       ORDER BY ${LINE_ORDER_SQL} LIMIT ?4`,
      ...this.dispatchableBindings(),
      key,
      limit,
    );
    return rows.map((r) => Live.fromLineRow(r));
  }

  /** Every key's first `perKey` dispatchable rows, by rank within the key, then line order. */
  private rankedLine(perKey: number, limit: number): (FairEntry & { rank: number })[] {
    const rows = this.store.exec<LineRow & { rank: number }>(
      `SELECT * FROM (
         SELECT name, lane, priority, order_key, batch_order, owner, flow_keys,
           row_number() OVER (PARTITION BY ${FAIR_KEY_SQL} ORDER BY ${LINE_ORDER_SQL}) AS rank
         FROM tasks WHERE ${DISPATCHABLE_SQL})
       WHERE rank <= ?3 ORDER BY rank, ${LINE_ORDER_SQL} LIMIT ?4`,
      ...this.dispatchableBindings(),
      perKey,
      limit,
    );
    return rows.map((r) => ({ ...Live.fromLineRow(r), rank: r.rank }));
  }

  /**
   * Per fairness key: its dispatchable tasks, and how many of them come before `entry` in line
   * order (for "why is it waiting").
   */
  lineCounts(entry: FairEntry): { key: string; waiting: number; before: number; runNow: number }[] {
    return this.store.exec<{ key: string; waiting: number; before: number; runNow: number }>(
      `SELECT ${FAIR_KEY_SQL} AS key, count(*) AS waiting,
         sum((-lane, -priority, order_key, batch_order, name) < (?3, ?4, ?5, ?6, ?7)) AS before,
         sum(lane >= 2) AS runNow
       FROM tasks WHERE ${DISPATCHABLE_SQL} GROUP BY 1`,
      ...this.dispatchableBindings(),
      -entry.lane,
      -entry.priority,
      entry.orderKey,
      entry.batchOrder,
      entry.name,
    );
  }

  /** The tasks of a batch held here, as they are now. */
  batchTasks(batchId: string): TaskRecord[] {
    const rows = this.store.exec<{ name: string }>(`SELECT name FROM tasks WHERE batch_id = ?`, batchId);
    return this.getMany(rows.map((r) => r.name));
  }

  /** The live tasks that run `name` again (only `owner`'s when given). */
  rerunsOf(name: string, owner?: string): string[] {
    const rows = this.store.exec<{ name: string }>(`SELECT name FROM tasks WHERE rerun_of = ?`, name);
    return this.getMany(rows.map((r) => r.name))
      .filter((t) => owner === undefined || t.owner === owner)
      .map((t) => t.name);
  }

  /** Names of a schedule's runs that are still active (Pending, Queued, Started). */
  activeRuns(schedule: string): string[] {
    const rows = this.store.exec<{ name: string }>(`SELECT name FROM tasks WHERE scheduled_job = ?`, schedule);
    return this.getMany(rows.map((r) => r.name))
      .filter((t) => t.status === "Pending" || t.status === "Queued" || t.status === "Started")
      .map((t) => t.name);
  }

  /** Whether the object owes the log anything (then its alarm stays within reach). */
  owesLog(): boolean {
    return this.dirty.size > 0;
  }

  /** A live task of `owner` holding `key`, if any. */
  dedupeHolder(owner: string, key: string): TaskRecord | null {
    const rows = this.store.exec<{ name: string }>(
      `SELECT name FROM tasks WHERE owner = ? AND dedupe_key = ?`,
      owner,
      key,
    );
    for (const task of this.getMany(rows.map((r) => r.name))) if (isLive(task)) return task;
    return null;
  }

  /** Remembers batches whose final failure pauses the rest. */
  notePauseRest(batchIds: readonly string[]): void {
    const fresh = batchIds.filter((id) => !this.pauseRest.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.pauseRest.add(id);
    this.store.setMeta("pause_rest", JSON.stringify([...this.pauseRest]));
  }

  /**
   * Remembers that the rest of these batches must be paused in the other methods' objects (in the
   * transaction of the failure that decided it), until `pauseDelivered`.
   */
  notePauseOut(batchIds: readonly string[]): void {
    const fresh = batchIds.filter((id) => !this.pauseOut.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.pauseOut.add(id);
    this.store.setMeta("pause_out", JSON.stringify([...this.pauseOut]));
  }

  /** Every other object of the batch has paused its tasks. */
  pauseDelivered(batchId: string): void {
    if (!this.pauseOut.delete(batchId)) return;
    this.store.setMeta("pause_out", JSON.stringify([...this.pauseOut]));
  }

  persistHolds(): void {
    this.store.setMeta("holds", JSON.stringify(Object.fromEntries(this.holds)));
  }
}

/** A row of the line as the line's queries read it. */
interface LineRow extends Record<string, SqlStorageValue> {
  name: string;
  lane: number;
  priority: number;
  order_key: string;
  batch_order: number;
  owner: string;
  flow_keys: string | null;
}
