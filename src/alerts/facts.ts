// Gathers what the rules of one evaluation need, each fact once however many rules read it: the
// log (failures, totals, dead letters), the methods' objects (oldest waiting task, the same figure
// the ops summary shows), the schedules, the remote targets and the dispatcher switch.
import { endedByMethod, failuresByMethod, missedBySchedule } from "../db/alert-facts";
import type { Db } from "../db/client";
import { liveMethods } from "../db/methods";
import { authFailedTargets } from "../db/remote-targets";
import type { AlertRuleRow } from "../db/schema";
import { overdueSchedules } from "../db/schedules";
import { getDispatcher } from "../db/settings";
import { methodSummary } from "../live/fan-out";
import type { RuleFacts } from "./conditions";

/** Memoised fact readers for one evaluation at `now`. */
export class FactReader {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly env: Env,
    private readonly db: Db,
    readonly now: number,
  ) {}

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (p === undefined) {
      p = read();
      this.memo.set(key, p);
    }
    return p;
  }

  /** The facts `rule` needs. */
  async forRule(rule: AlertRuleRow): Promise<RuleFacts> {
    const { now } = this;
    const since = now - rule.windowS * 1000;
    switch (rule.kind) {
      case "failure_rate": {
        const failures = await this.once(`failures:${since}`, () => failuresByMethod(this.db, since));
        const methods = [...failures.keys()].filter((m) => rule.subject === null || m === rule.subject).sort();
        const ended = await this.once(`ended:${since}:${methods.join(",")}`, () =>
          endedByMethod(this.db, since, methods),
        );
        return { now, failures, ended };
      }
      case "dead_letters":
        return { now, failures: await this.once(`failures:${since}`, () => failuresByMethod(this.db, since)) };
      case "oldest_waiting":
        return { now, oldestPending: await this.once("oldest", () => this.oldestPending()) };
      case "schedule_overdue":
        return { now, overdue: await this.once("overdue", () => overdueSchedules(this.db, now, 0)) };
      case "schedule_missed":
        return { now, missed: await this.once(`missed:${since}`, () => missedBySchedule(this.db, since)) };
      case "remote_auth":
        return { now, authFailed: await this.once("auth", () => authFailedTargets(this.db)) };
      case "dispatcher_suspended":
        return { now, dispatcher: await this.once("dispatcher", () => getDispatcher(this.db)) };
    }
  }

  /** The oldest waiting task's creation per live method, from each method's object (exact). */
  private async oldestPending(): Promise<Map<string, number>> {
    const methods = await liveMethods(this.db, this.now);
    const out = new Map<string, number>();
    await Promise.all(
      methods.map(async (method) => {
        const s = await methodSummary(this.env, method);
        if (s.oldestPendingAt !== null) out.set(method, s.oldestPendingAt);
      }),
    );
    return out;
  }
}
