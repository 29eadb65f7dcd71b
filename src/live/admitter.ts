// Running admission and sending what it admitted. Requests coalesce: every request sets `again`,
// and the loop checks it after every await — so a request that arrives while a pass runs (or
// sends) is served by one more pass, and none is ever dropped.
import { describeError, log } from "../shared/log";
import type { QueueName } from "../shared/states";
import type { Attempt } from "./attempt";
import type { ObjectContext } from "./context";
import { admit, messagesFor } from "./dispatch";
import { sendTaskMessages } from "./messages";
import type { Slots } from "./slots";

export class Admitter {
  private again = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly object: ObjectContext,
    /** Whether the object may admit yet (it knows its settings). */
    private readonly ready: () => boolean,
    /** Called when sends failed and admission must be tried again later. */
    private readonly retryLater: () => void,
    /** Called after a pass that a throttle cut short (the alarm must wake the object for the next start). */
    private readonly throttled: () => void = () => undefined,
    /** A sharded method's slots (slots.ts): admission fills the slots this shard holds. */
    private readonly slots: Slots | null = null,
  ) {}

  /** Asks for a pass; resolves when a pass that started after the request is done. */
  request(): Promise<void> {
    this.again = true;
    this.running ??= this.loop();
    return this.running;
  }

  /** Resolves when no pass is under way. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    // Start after the caller has stored this promise: a loop that finished synchronously would
    // otherwise clear `running` before it is set, and no later request would start a pass.
    await Promise.resolve();
    try {
      while (this.again) {
        this.again = false;
        if (!this.ready()) return;
        const { live } = this.object;
        const cap = live.cfg.admitPerPass;
        const leasing = this.slots?.leasing() ?? false;
        live.leased = leasing ? (this.slots as Slots).usable() : null;
        const now = Date.now();
        const free = live.freeSlots(cap);
        const admitted = admit(live, now, cap);
        // A full pass is followed by another: the slots are settled after the last one.
        if (leasing && admitted.length < cap) (this.slots as Slots).afterPass(free, admitted.length, now);
        if (live.throttleWakeAt !== null) this.throttled();
        if (admitted.length === 0) continue;
        if (admitted.length >= cap) this.again = true;
        await this.send(admitted);
      }
    } finally {
      this.running = null;
    }
  }

  /** Sends attempts (admitted, or re-sent after their lease); on failure they go back in line. */
  async send(attempts: readonly Pick<Attempt, "name" | "attempt" | "queue">[]): Promise<void> {
    const { env, live, method, storage } = this.object;
    const perMessage = (queue: QueueName) => (queue === "long" ? 1 : live.cfg.tasksPerMessage);
    try {
      await sendTaskMessages(env, method, messagesFor(attempts, perMessage));
    } catch (error) {
      log.error("could not send task messages; they go back in line", { method, ...describeError(error) });
      storage.transactionSync(() => {
        for (const a of attempts) {
          const current = live.inFlight.get(a.name);
          if (current?.status !== "Queued" || current.attempt !== a.attempt) continue;
          live.drop(a.name);
          const task = live.get(a.name);
          if (task) live.enterLine(task);
        }
      });
      this.retryLater();
    }
  }
}
