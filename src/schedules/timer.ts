// The schedule's timer (one Durable Object per schedule): its alarm fires the schedule at the next
// slot, to the millisecond. All state is in D1, so an evicted or restarted timer loses nothing; the
// minute cron is only the watchdog that fires schedules whose alarm did not.
import { DurableObject } from "cloudflare:workers";
import { getDb } from "../db/client";
import { getSchedule } from "../db/schedules";
import { count } from "../shared/metrics";
import { fireSchedule } from "./fire";

export class ScheduleTimer extends DurableObject<Env> {
  /** The schedule this timer fires: the name it was addressed by (`getByName(schedule)`). */
  private get schedule(): string {
    const name = this.ctx.id.name;
    if (name === undefined) throw new Error("ScheduleTimer must be addressed by name");
    return name;
  }

  /** Sets the alarm to the schedule's next firing as stored (none when stopped, ended or deleted). */
  async arm(): Promise<number | null> {
    count({ doRequests: 1 });
    const row = await getSchedule(getDb(this.env), this.schedule);
    const at = row && !row.stopped ? row.nextFireAt : null;
    await this.setAlarm(at);
    return at;
  }

  /** Fires every due slot now (the watchdog's call), then re-arms. */
  async fire(): Promise<number | null> {
    count({ doRequests: 1 });
    const next = await fireSchedule(this.env, this.schedule);
    await this.setAlarm(next);
    return next;
  }

  /** A thrown error makes the runtime retry the alarm; the firing is safe to repeat. */
  override async alarm(): Promise<void> {
    await this.fire();
  }

  private async setAlarm(at: number | null): Promise<void> {
    if (at === null) await this.ctx.storage.deleteAlarm();
    else {
      await this.ctx.storage.setAlarm(at);
      count({ alarmsSet: 1 });
    }
  }
}
