// A shard's side of a sharded method's concurrency limit (slot-pool.ts has the rule): the slots it
// holds, what it tells the pool after each admission pass, and the grants it is pushed. Shard 0
// holds the pool and reports to it in place; every other shard calls shard 0's object.
import { describeError, log } from "../shared/log";
import { callObject } from "../shared/object-call";
import { shardObjectName } from "../shared/shards";
import type { ObjectContext } from "./context";
import { admissible } from "./dispatch";
import type { SlotGrant, SlotPool, SlotReport } from "./slot-pool";

/** How soon a shard still short of slots asks the pool again (should a push be lost). */
export const ASK_AGAIN_MS = 2_000;

const KEY = "slots";

export class Slots {
  /** Slots ever received from the pool (the highest total heard). */
  private received = 0;
  /** Slots ever given back (saved before the pool hears of it). */
  private returned = 0;
  /** The share the pool last gave this shard. */
  private cap = 0;
  /** The limit the share was given for: a lower limit voids it until the pool answers again. */
  private capFor = 0;
  /** The share is void (the limit was lowered): ask the pool before starting anything. */
  private stale = false;
  /** The pool lowered the share since the last pass (another shard wants slots). */
  private squeezed = false;
  private lastReport: { inUse: number; need: number } | null = null;
  /** The `returned` total the pool has acknowledged (a give-back not yet heard is sent again). */
  private acked = -1;
  private reporting = false;
  private again = false;
  /** When to ask again while short of slots (null: not short). */
  askAgainAt: number | null = null;

  constructor(
    private readonly object: ObjectContext & { shard: number },
    /** The pool, in shard 0's object only. */
    private readonly pool: SlotPool | null,
    /** Called when slots arrived (admission may go on). */
    private readonly granted: () => void,
    /** Called with what the pool's other shards must be told (shard 0 only). */
    private readonly tell: (others: Map<number, SlotGrant>) => void,
  ) {}

  /** Reads what was saved (once per wake, after the object's storage is ready). */
  load(): void {
    this.pool?.load();
    const saved = JSON.parse(this.object.live.store.metaText(KEY) ?? "null") as {
      received: number;
      returned: number;
      capFor?: number;
    } | null;
    this.received = saved?.received ?? 0;
    this.returned = saved?.returned ?? 0;
    this.capFor = saved?.capFor ?? 0;
    this.acked = this.object.shard === 0 ? this.returned : -1;
    // Until the pool says otherwise, what it holds is its share (no give-back churn after a wake).
    this.cap = this.held();
  }

  /** Whether this shard admits by leased slots: a limited method that has more than one object. */
  leasing(): boolean {
    const { live, shard } = this.object;
    if (live.settings.limit === 0) return false;
    return shard > 0 || live.settings.shardObjects > 1 || (this.pool?.active() ?? false);
  }

  /** The method's settings changed: the pool hears this shard's figures (and limit) on the next pass. */
  settingsChanged(): void {
    this.stale = true;
  }

  /** Slots held now. */
  held(): number {
    return Math.max(0, this.received - this.returned);
  }

  /**
   * Slots admission may fill: those held, but no more than the share — a shard told a lower share
   * starts nothing new on the slots above it, which then go back as its tasks end.
   */
  usable(): number {
    const limit = this.object.live.settings.limit;
    if (limit < this.capFor) {
      // The limit was lowered (told to this object, or read on waking): the old share may be
      // more than the new limit allows. Nothing new starts until the pool shares the new one.
      this.cap = 0;
      this.capFor = limit;
      this.stale = true;
    }
    return Math.min(this.held(), this.cap);
  }

  /**
   * After an admission pass (`free` slots it could fill, `admitted` it filled): gives back what
   * this shard cannot use or holds beyond its share, and asks for more when it could start more.
   */
  afterPass(free: number, admitted: number, now: number): void {
    const { live } = this.object;
    const inUse = live.running();
    const held = this.held();
    // More could start now only if the pass filled every slot it had.
    const extra = admitted < free ? 0 : admissible(live, now, live.settings.limit);
    const need = Math.min(live.settings.limit, inUse + extra);
    // Slots are kept up to the share (a stream of tasks reuses them without asking); once the pool
    // lowers the share — another shard wants slots — only what is needed now is kept, and the
    // report below tells the pool the need as it is, so the rest goes where the work is.
    const keep = this.squeezed
      ? Math.min(held, Math.max(inUse, Math.min(this.cap, need)))
      : Math.min(held, Math.max(inUse, this.cap));
    const squeezed = this.squeezed;
    this.squeezed = false;
    const giveBack = held - keep;
    if (giveBack > 0) {
      this.returned += giveBack;
      this.save();
    }
    const owed = this.returned > this.acked;
    const short = need > this.held();
    const due = this.askAgainAt !== null && this.askAgainAt <= now;
    // The pool hears only what is new to it: a give-back, a need above the one it knows (or below
    // it, when asked), tasks running beyond the slots (after a limit appeared) — or, while short,
    // the same again once the alarm says so (should a push be lost). Never the same twice in a
    // row: the answer to a report starts another pass, which must not report again unchanged.
    const last = this.lastReport;
    const news =
      (short && (last === null || need > last.need)) ||
      (squeezed && (last === null || need < last.need)) ||
      (inUse > held && inUse !== last?.inUse);
    // Short of its share (a grant is due) or owing a give-back: soon; at its share, the pool pushes
    // any change, so the alarm only guards against a lost push.
    this.askAgainAt =
      owed || (short && this.held() < this.cap) ? now + ASK_AGAIN_MS : short ? now + 5 * ASK_AGAIN_MS : null;
    if (owed || news || this.stale || (short && due)) this.report(inUse, need);
  }

  /** A grant pushed by the pool (or its answer): slots and share. */
  apply(grant: SlotGrant): void {
    const before = this.held();
    if (grant.issued > this.received) {
      this.received = grant.issued;
      this.save();
    }
    // A share given for a higher limit than this object knows now is not taken: it asks again.
    if (grant.limit > this.object.live.settings.limit) return;
    if (grant.cap < this.cap || grant.refresh === true) this.squeezed = true;
    const wasStale = this.stale;
    this.stale = false;
    this.cap = grant.cap;
    if (grant.limit !== this.capFor) {
      this.capFor = grant.limit;
      this.save();
    }
    // A pass follows new slots, or a lowered share (idle slots go back in it) — nothing else, so a
    // report's answer that changes nothing ends there.
    if (this.held() > before || this.squeezed || wasStale) this.granted();
  }

  /** The pool's side of a report (shard 0 only): its grant; the shards whose grant changed are told. */
  answer(report: SlotReport): SlotGrant {
    if (!this.pool) throw new Error("only shard 0 holds the slot pool");
    const { live } = this.object;
    // The first report of another shard makes the method sharded: this shard counts what it runs first.
    if (!this.pool.active() && report.shard !== 0) {
      const own = this.pool.report(this.reportOf(live.running(), live.running()), live.settings.limit, Date.now());
      this.apply(own.grant);
    }
    const { grant, others } = this.pool.report(report, live.settings.limit, Date.now());
    const mine = others.get(0);
    if (mine) {
      others.delete(0);
      this.apply(mine);
    }
    if (others.size > 0) this.tell(others);
    return grant;
  }

  private reportOf(inUse: number, need: number): SlotReport {
    return { shard: this.object.shard, returned: this.returned, inUse, need, limit: this.object.live.settings.limit };
  }

  private save(): void {
    this.object.live.store.setMeta(
      KEY,
      JSON.stringify({ received: this.received, returned: this.returned, capFor: this.capFor }),
    );
  }

  /** Tells the pool (one report at a time; a report asked for meanwhile goes next, with what is then true). */
  private report(inUse: number, need: number): void {
    this.lastReport = { inUse, need };
    if (this.object.shard === 0) {
      this.apply(this.answer(this.reportOf(inUse, need)));
      this.acked = this.returned;
      if (this.held() >= need) this.askAgainAt = null;
      return;
    }
    this.again = true;
    if (this.reporting) return;
    this.reporting = true;
    void (async () => {
      try {
        while (this.again) {
          this.again = false;
          const { env, method, live, storage } = this.object;
          const report = this.reportOf(live.running(), this.lastReport?.need ?? need);
          const grant = await callObject(() =>
            env.METHOD_TASKS.getByName(shardObjectName(method, 0)).slotReport(report),
          );
          this.acked = Math.max(this.acked, report.returned);
          if (this.acked >= this.returned && this.held() >= (this.lastReport?.need ?? 0)) this.askAgainAt = null;
          storage.transactionSync(() => this.apply(grant));
        }
      } catch (error) {
        // The alarm asks again (askAgainAt) while this shard is short; a give-back is resent then too.
        this.lastReport = null;
        this.askAgainAt = Date.now() + ASK_AGAIN_MS;
        log.warn("could not reach the method's slot pool; asking again", {
          method: this.object.method,
          shard: this.object.shard,
          ...describeError(error),
        });
      } finally {
        this.reporting = false;
      }
    })();
  }
}
