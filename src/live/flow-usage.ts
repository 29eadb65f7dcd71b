// What flow control is doing in a method's object now, for people (the Methods page, the Overview):
// running tasks per concurrency key and singleton key, each throttle key's next start, waiting tasks
// per fairness key, how many waiting tasks a throttle holds back, and how many tasks a rate limit
// has refused so far. Read at one instant, inside the object.
import { keyLabel } from "../shared/flow";
import { concurrencyValue, FlowGate } from "./flow-gate";
import { FAIR_KEY_SQL, Live } from "./live";

/** Most waiting rows looked at to count what a throttle holds back (a bound on the read). */
const THROTTLE_SCAN = 10_000;
/** Most entries of each list. */
const LISTED = 50;

export interface FlowUsage {
  keys: { key: string; value: string; running: number; limit: number }[];
  singletons: { value: string; running: number }[];
  throttles: { value: string; next_start_at: string | null }[];
  waiting: { fair_key: string; waiting: number }[];
  /** Waiting tasks a throttle holds back now (of at most THROTTLE_SCAN looked at). */
  throttled: number;
  /** Tasks a rate limit refused, since the object began counting. */
  rate_limited: number;
}

/** The flow control usage of the object's method at `now` (`light`: only the two counts). */
export function flowUsage(live: Live, now: number, light = false): FlowUsage {
  const flow = live.settings.flow;
  if (light && !flow.throttle) {
    const refused = Number(live.store.meta("rate_limited") ?? 0);
    return { keys: [], singletons: [], throttles: [], waiting: [], throttled: 0, rate_limited: refused };
  }
  const running = live.runningKeys();
  const keys = new Map<string, { key: string; value: string; running: number; limit: number }>();
  for (const c of flow.concurrency) {
    for (const k of running) {
      const value = concurrencyValue(k, c.key);
      const id = `${c.key}\u0000${value}`;
      const entry = keys.get(id) ?? { key: keyLabel(c.key), value, running: 0, limit: c.limit };
      entry.running++;
      keys.set(id, entry);
    }
  }
  const singletons = new Map<string, number>();
  if (flow.singleton)
    for (const k of running) if (k.s !== undefined) singletons.set(k.s, (singletons.get(k.s) ?? 0) + 1);
  const waitingRows = live.store.exec<{ fair: string; n: number }>(
    `SELECT ${FAIR_KEY_SQL} AS fair, count(*) AS n FROM tasks WHERE status = 'Pending' AND wake_at IS NULL
     GROUP BY 1 ORDER BY 2 DESC LIMIT ${LISTED}`,
  );
  let throttled = 0;
  const throttles: FlowUsage["throttles"] = [];
  if (flow.throttle) {
    const gate = new FlowGate(flow, live.throttles, now, running);
    const rows = live.store.exec<{
      name: string;
      lane: number;
      priority: number;
      order_key: string;
      batch_order: number;
      owner: string;
      flow_keys: string | null;
    }>(
      `SELECT name, lane, priority, order_key, batch_order, owner, flow_keys FROM tasks
       WHERE status = 'Pending' AND wake_at IS NULL LIMIT ${THROTTLE_SCAN}`,
    );
    const seen = new Set<string>();
    for (const r of rows) {
      if (live.inFlight.has(r.name)) continue;
      const entry = Live.entry({ ...r, orderKey: r.order_key, batchOrder: r.batch_order, flowKeys: r.flow_keys });
      const value = entry.keys.t ?? "";
      const at = live.throttles.allowedAt(flow.throttle, value);
      if (gate.holdsOf(entry.keys).some((h) => h.kind === "throttled")) throttled++;
      if (!seen.has(value) && seen.size < LISTED) {
        seen.add(value);
        throttles.push({ value, next_start_at: at > now ? new Date(at).toISOString() : null });
      }
    }
  }
  return {
    keys: [...keys.values()].sort((a, b) => b.running - a.running).slice(0, LISTED),
    singletons: [...singletons].map(([value, n]) => ({ value, running: n })).slice(0, LISTED),
    throttles,
    waiting: waitingRows.map((r) => ({ fair_key: r.fair, waiting: r.n })),
    throttled,
    rate_limited: Number(live.store.meta("rate_limited") ?? 0),
  };
}
