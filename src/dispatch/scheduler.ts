// The method's scheduler (one Durable Object per method): runs dispatch passes when woken and owns
// the method's timers through its single alarm. All task state lives in D1, so an evicted or
// restarted scheduler loses nothing: the next pass rebuilds everything from the table.
import { DurableObject } from "cloudflare:workers";
import { describeError, log } from "../shared/log";
import { count, snapshot } from "../shared/metrics";
import { runPass, type PassResult } from "./pass";

/** How soon to try again after a pass failed (D1 or queue unavailable). */
const FAILED_PASS_RETRY_MS = 5_000;

export class MethodScheduler extends DurableObject<Env> {
  private running: Promise<void> | null = null;
  private rerun = false;
  private alarmAt: number | null | undefined;
  /** The earliest timer the last pass saw; undefined until one ran (then every pass fires timers). */
  private nextTimerAt: number | null | undefined;

  /** The method this object schedules: the name it was addressed by (`getByName(method)`). */
  private get method(): string {
    const name = this.ctx.id.name;
    if (name === undefined) throw new Error("MethodScheduler must be addressed by name");
    return name;
  }

  /**
   * Runs a pass now. Wakes that arrive while a pass runs are coalesced into one more pass that
   * starts after the current one, so a change committed before wake() is always seen — no
   * wake-up is ever dropped. Resolves when that pass is done.
   */
  async wake(): Promise<void> {
    count({ doRequests: 1 });
    return this.schedulePass();
  }

  override async alarm(): Promise<void> {
    count({ doRequests: 1 });
    this.alarmAt = null;
    this.nextTimerAt = undefined;
    return this.schedulePass();
  }

  /** This isolate's operation counters (for the benchmark). */
  metrics() {
    return snapshot();
  }

  /**
   * Asks for a pass. Every request sets `rerun`; the loop checks it after each complete pass —
   * alarm armed included — and clears `running` in the same synchronous step as its last check,
   * so there is no await point at which a request can be seen by nobody.
   */
  private schedulePass(): Promise<void> {
    this.rerun = true;
    this.running ??= this.passLoop();
    return this.running;
  }

  private async passLoop(): Promise<void> {
    try {
      while (this.rerun) {
        this.rerun = false;
        const known = this.nextTimerAt;
        const timersDue = known === undefined || (known !== null && known <= Date.now());
        let result: PassResult;
        try {
          result = await runPass(this.env, this.method, timersDue);
        } catch (error) {
          log.error("scheduler pass failed", { method: this.method, ...describeError(error) });
          // The retry alarm covers every request made so far, including any made while arming it.
          await this.armAlarm(Date.now() + FAILED_PASS_RETRY_MS);
          throw error;
        }
        this.nextTimerAt = result.nextTimerAt;
        // Another pass when admission was capped, or when a timer is already due (a retry with no
        // delay, a resumed task whose start time has passed).
        if (result.again || (result.nextTimerAt !== null && result.nextTimerAt <= Date.now())) this.rerun = true;
        await this.armAlarm(result.nextTimerAt);
      }
    } finally {
      this.running = null;
    }
  }

  /** Keeps the single alarm at the earliest timer; writes storage only when it changes. */
  private async armAlarm(at: number | null): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (at === this.alarmAt) return;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }
}
