// What an object learns from D1: its settings when it wakes (task type, dispatcher switch), and
// the log's live rows of its method, reconciled with what it holds — a task the log shows live that
// the object does not hold is adopted (a database from before live tasks moved into the objects,
// or a row the object lost); one it holds in another state is written to the log again. The caller
// runs the reconciliation with no log write under way: a write's deletions could otherwise make a
// task ended a moment ago look like one the object never had.
import { registry } from "../catalog";
import { getDb } from "../db/client";
import { resolveFlow, type FlowControl } from "../shared/flow";
import { readLiveLog, readMethodSettings } from "../db/live-log";
import type { ObjectContext } from "./context";
import { adoptTask } from "./adopt";
import { shardOfTask } from "../shared/shards";

/** Reads the method's settings into the object's state. */
export async function readSettings(object: ObjectContext): Promise<void> {
  const { flowControl, ...settings } = await readMethodSettings(getDb(object.env), object.method);
  object.live.settings = { ...settings, flow: methodFlow(object.method, flowControl) };
}

/** The method's flow control: its task type's when set, else what its code declares. */
export function methodFlow(method: string, flowControl: string | null) {
  return resolveFlow(flowControl === null ? registry.flowOf(method) : (JSON.parse(flowControl) as FlowControl));
}

/** Reconciles the object with the log's live rows of its method; returns how many it adopted. */
export async function reconcile(object: ObjectContext): Promise<number> {
  const { live, storage } = object;
  let adopted = 0;
  for await (const all of readLiveLog(getDb(object.env), object.method)) {
    // A sharded method's log rows of other shards are theirs to reconcile.
    const page = all.filter((t) => shardOfTask(t.name) === object.shard);
    if (page.length === 0) continue;
    storage.transactionSync(() => {
      const now = Date.now();
      const held = new Map(live.getMany(page.map((t) => t.name)).map((t) => [t.name, t]));
      for (const logged of page) {
        const task = held.get(logged.name);
        if (!task) {
          if (adoptTask(live, logged, now, live.cfg.leaseGraceMs)) adopted++;
        } else if (task.seq !== logged.seq || task.status !== logged.status) {
          live.markDirty(task, now);
        }
      }
    });
  }
  return adopted;
}
