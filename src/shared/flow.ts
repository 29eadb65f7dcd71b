// Flow control options (Inngest's names and shapes): the settings a method is given in code or on
// its task type, their validation (each problem names its field), their resolved form (periods in
// ms), and the task keys they are evaluated to once at enqueue. A plain module: the API, the
// method's object and the console all read it.

/** A key expression over the task: `owner`, or `arguments.<path>` (Inngest's `event.data.<path>` too). */
export type KeyExpression = string;

/** Flow control of one method, as a user writes it (periods as "500ms", "1s", "5m", "4h", "1d"). */
export interface FlowControl {
  /** Round-robin admission across a key (default: on, key `owner`); `false` admits first-in-first-out. */
  fairness?: false | { key?: KeyExpression; weights?: Record<string, number> };
  /** Per-key concurrency beside the method's overall limit (at most 2 keys). */
  concurrency?: { key: KeyExpression; limit: number }[];
  /** GCRA: at most `limit` starts per `period` (+ `burst` at once); the excess waits. */
  throttle?: { limit: number; period: string; burst?: number; key?: KeyExpression };
  /** At most `limit` tasks accepted per `period` window; the excess is not run (Canceled, `rate_limited`). */
  rateLimit?: { limit: number; period: string; key?: KeyExpression };
  /** A burst of tasks with one key collapses into one run with the last arguments. */
  debounce?: { key: KeyExpression; period: string; timeout?: string };
  /** At most one live run per key: a new task is skipped, or replaces the live one. */
  singleton?: { key: KeyExpression; mode: "skip" | "cancel" };
  /**
   * Spread the method over this many Durable Objects (1–16, default 1); its concurrency limit is
   * leased to them by shard 0, and keyed rules must share one key (each key value lives in one shard).
   */
  shards?: number;
}

/** The resolved form the method's object admits by. */
export interface ResolvedFlow {
  /** null: first-in-first-out (one key for all). */
  fairness: { key: KeyExpression; weights: Record<string, number> } | null;
  concurrency: { key: KeyExpression; limit: number }[];
  throttle: { limit: number; periodMs: number; burst: number; key: KeyExpression | null } | null;
  rateLimit: { limit: number; periodMs: number; key: KeyExpression | null } | null;
  debounce: { key: KeyExpression; periodMs: number; timeoutMs: number | null } | null;
  singleton: { key: KeyExpression; mode: "skip" | "cancel" } | null;
  /** How many objects new tasks are spread over (1: the method's one object). */
  shards: number;
}

/** The keys a task was given at enqueue (stored as JSON in its `flow_keys`). */
export interface FlowKeys {
  /** Fairness key value (absent: the owner). */
  f?: string;
  /** Concurrency key values by key expression. */
  c?: Record<string, string>;
  /** Throttle key value. */
  t?: string;
  /** Singleton key value. */
  s?: string;
  /** Debounce key value, and when its burst began (epoch ms). */
  d?: string;
  df?: number;
}

/** How a task ended because of flow control (its `flow_outcome`); the task is Canceled. */
export const FLOW_OUTCOMES = [
  "rate_limited",
  "debounced",
  "singleton_skipped",
  "singleton_canceled",
  // A scheduled job's run whose arguments lack a key (a caller's enqueue gets a 400 instead).
  "key_missing",
] as const;
export type FlowOutcome = (typeof FLOW_OUTCOMES)[number];

export const FLOW_OPTIONS = [
  "fairness",
  "concurrency",
  "throttle",
  "rateLimit",
  "debounce",
  "singleton",
  "shards",
] as const;
/** Most shards a method may have. */
export const SHARDS_MAX = 16;
/** Most per-key concurrency entries (Inngest's bound). */
export const CONCURRENCY_KEYS_MAX = 2;
/** Longest period of a throttle, rate limit or debounce: 7 days. */
export const FLOW_PERIOD_MAX_MS = 7 * 86_400_000;
/** Highest limit, burst or weight. */
export const FLOW_LIMIT_MAX = 100_000;

/** No flow control beyond fairness by owner (the default). */
export const DEFAULT_FLOW: ResolvedFlow = {
  fairness: { key: "owner", weights: {} },
  concurrency: [],
  throttle: null,
  rateLimit: null,
  debounce: null,
  singleton: null,
  shards: 1,
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration like "1s", "500ms", "1h30m" in ms; null when it is not one. */
export function parseDuration(text: string): number | null {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return null;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(n) * (UNITS[unit as string] ?? 0);
  return ms;
}

/** The argument path of a key expression (null for `owner`); undefined when it is not one. */
export function keyPath(expression: string): string[] | null | undefined {
  if (expression === "owner") return null;
  const match = /^(?:arguments|event\.data)\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)$/.exec(expression);
  return match ? (match[1] as string).split(".") : undefined;
}

/** A short label of a key expression for people ("customer" for `arguments.customer`). */
export function keyLabel(expression: string): string {
  const path = keyPath(expression);
  return path ? path.join(".") : expression;
}

/** One problem with flow settings or a task's keys: the field and what is wrong. */
export interface FlowIssue {
  path: string;
  message: string;
}

/** Evaluates a key expression over a task; an issue when its path is missing from the arguments. */
export function evaluateKey(
  expression: string,
  task: { owner: string; arguments: Record<string, unknown> },
): string | FlowIssue {
  const path = keyPath(expression);
  if (path === null) return task.owner;
  if (path === undefined) return { path: expression, message: `${expression} is not a key expression` };
  let value: unknown = task.arguments;
  for (const part of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) {
      return {
        path: `arguments.${path.join(".")}`,
        message: `the flow control key arguments.${path.join(".")} is missing from the task's arguments`,
      };
    }
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Checks flow settings (unknown options, key expressions, periods, limits that contradict each
 * other or the method's `concurrencyLimit`); returns every problem, each naming its field under
 * `prefix`. Empty: the settings are valid.
 */
export function checkFlow(input: unknown, concurrencyLimit: number, prefix = "flow_control"): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const at = (path: string, message: string) => issues.push({ path: `${prefix}.${path}`, message });
  if (!isObject(input)) return [{ path: prefix, message: "must be an object" }];
  const only = (value: Record<string, unknown>, where: string, allowed: readonly string[]) => {
    for (const key of Object.keys(value))
      if (!allowed.includes(key)) at(`${where}${key}`, `unknown option ${key} (allowed: ${allowed.join(", ")})`);
  };
  const key = (value: unknown, where: string, required: boolean) => {
    if (value === undefined) {
      if (required) at(where, "a key expression is required (owner or arguments.<path>)");
      return;
    }
    if (typeof value !== "string" || keyPath(value) === undefined)
      at(where, "must be owner or arguments.<path> (letters, digits, _ and - between dots)");
  };
  const whole = (value: unknown, where: string, min: number, required = true) => {
    if (value === undefined) {
      if (required) at(where, "is required");
      return;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > FLOW_LIMIT_MAX)
      at(where, `must be a whole number from ${min} to ${FLOW_LIMIT_MAX}`);
  };
  const period = (value: unknown, where: string, required = true): number | null => {
    if (value === undefined) {
      if (required) at(where, "is required");
      return null;
    }
    const ms = typeof value === "string" ? parseDuration(value) : null;
    if (ms === null) at(where, 'must be a duration such as "500ms", "1s", "5m", "4h" or "1d"');
    else if (ms <= 0) at(where, "must be more than zero");
    else if (ms > FLOW_PERIOD_MAX_MS) at(where, "must be at most 7 days");
    else return ms;
    return null;
  };
  only(input, "", FLOW_OPTIONS);
  const { fairness, concurrency, throttle, rateLimit, debounce, singleton } = input;
  if (fairness !== undefined && fairness !== false) {
    if (!isObject(fairness)) at("fairness", "must be false or { key?, weights? }");
    else {
      only(fairness, "fairness.", ["key", "weights"]);
      key(fairness.key, "fairness.key", false);
      if (fairness.weights !== undefined) {
        if (!isObject(fairness.weights)) at("fairness.weights", "must map key values to weights");
        else for (const [k, w] of Object.entries(fairness.weights)) whole(w, `fairness.weights.${k}`, 1);
      }
    }
  }
  if (concurrency !== undefined) {
    if (!Array.isArray(concurrency)) at("concurrency", "must be a list of { key, limit }");
    else {
      if (concurrency.length > CONCURRENCY_KEYS_MAX) at("concurrency", `at most ${CONCURRENCY_KEYS_MAX} keys`);
      const seen = new Set<string>();
      concurrency.forEach((entry: unknown, i) => {
        if (!isObject(entry)) return at(`concurrency.${i}`, "must be { key, limit }");
        only(entry, `concurrency.${i}.`, ["key", "limit"]);
        key(entry.key, `concurrency.${i}.key`, true);
        whole(entry.limit, `concurrency.${i}.limit`, 1);
        if (typeof entry.key === "string") {
          if (seen.has(entry.key)) at(`concurrency.${i}.key`, `${entry.key} is limited twice`);
          seen.add(entry.key);
        }
        if (concurrencyLimit > 0 && typeof entry.limit === "number" && entry.limit > concurrencyLimit)
          at(
            `concurrency.${i}.limit`,
            `${entry.limit} exceeds the method's concurrency_limit ${concurrencyLimit}: the per-key limit could never be reached`,
          );
      });
    }
  }
  if (throttle !== undefined) {
    if (!isObject(throttle)) at("throttle", "must be { limit, period, burst?, key? }");
    else {
      only(throttle, "throttle.", ["limit", "period", "burst", "key"]);
      whole(throttle.limit, "throttle.limit", 1);
      period(throttle.period, "throttle.period");
      whole(throttle.burst, "throttle.burst", 0, false);
      key(throttle.key, "throttle.key", false);
    }
  }
  if (rateLimit !== undefined) {
    if (!isObject(rateLimit)) at("rateLimit", "must be { limit, period, key? }");
    else {
      only(rateLimit, "rateLimit.", ["limit", "period", "key"]);
      whole(rateLimit.limit, "rateLimit.limit", 1);
      period(rateLimit.period, "rateLimit.period");
      key(rateLimit.key, "rateLimit.key", false);
    }
  }
  if (debounce !== undefined) {
    if (!isObject(debounce)) at("debounce", "must be { key, period, timeout? }");
    else {
      only(debounce, "debounce.", ["key", "period", "timeout"]);
      key(debounce.key, "debounce.key", true);
      const p = period(debounce.period, "debounce.period");
      const t = period(debounce.timeout, "debounce.timeout", false);
      if (p !== null && t !== null && t < p)
        at("debounce.timeout", "must be at least the period (a burst could never wait a whole period)");
    }
  }
  if (singleton !== undefined) {
    if (!isObject(singleton)) at("singleton", 'must be { key, mode: "skip" | "cancel" }');
    else {
      only(singleton, "singleton.", ["key", "mode"]);
      key(singleton.key, "singleton.key", true);
      if (singleton.mode !== "skip" && singleton.mode !== "cancel") at("singleton.mode", 'must be "skip" or "cancel"');
    }
    if (debounce !== undefined)
      at("singleton", "contradicts debounce: a debounced task waiting for its period would make every later one skip");
  }
  const shards = input.shards;
  if (shards !== undefined) {
    if (typeof shards !== "number" || !Number.isInteger(shards) || shards < 1 || shards > SHARDS_MAX)
      at("shards", `must be a whole number from 1 to ${SHARDS_MAX}`);
    else if (concurrencyLimit > 0 && shards > concurrencyLimit)
      at(
        "shards",
        `${shards} exceeds the method's concurrency_limit ${concurrencyLimit}: a shard would hold no slot of it`,
      );
    else if (shards > 1 && issues.length === 0) {
      // Every keyed rule is exact only inside one object: all of them must key by the same value,
      // which then decides a task's shard. A method-wide throttle or rate limit has no key to
      // shard by (one clock for the whole method): it needs a key, or one shard.
      const flow = resolveFlow(input);
      const keys = new Set(keyedRules(flow));
      if (keys.size > 1)
        at(
          "shards",
          `with shards > 1 every keyed rule must use one key (each key value's tasks share a shard); these use ${[...keys].join(", ")}`,
        );
      if (flow.throttle !== null && flow.throttle.key === null)
        at(
          "throttle.key",
          "with shards > 1 a throttle needs a key (a method-wide throttle is one clock: use one shard)",
        );
      if (flow.rateLimit !== null && flow.rateLimit.key === null)
        at(
          "rateLimit.key",
          "with shards > 1 a rate limit needs a key (a method-wide rate limit is one window: use one shard)",
        );
    }
  }
  return issues;
}

/** The resolved form of valid settings (null or undefined: the default). */
export function resolveFlow(flow: FlowControl | null | undefined): ResolvedFlow {
  if (!flow) return DEFAULT_FLOW;
  const ms = (text: string) => parseDuration(text) ?? 0;
  return {
    fairness:
      flow.fairness === false
        ? null
        : { key: flow.fairness?.key ?? "owner", weights: { ...(flow.fairness?.weights ?? {}) } },
    concurrency: (flow.concurrency ?? []).map((c) => ({ key: c.key, limit: c.limit })),
    throttle: flow.throttle
      ? {
          limit: flow.throttle.limit,
          periodMs: ms(flow.throttle.period),
          burst: flow.throttle.burst ?? 0,
          key: flow.throttle.key ?? null,
        }
      : null,
    rateLimit: flow.rateLimit
      ? { limit: flow.rateLimit.limit, periodMs: ms(flow.rateLimit.period), key: flow.rateLimit.key ?? null }
      : null,
    debounce: flow.debounce
      ? {
          key: flow.debounce.key,
          periodMs: ms(flow.debounce.period),
          timeoutMs: flow.debounce.timeout === undefined ? null : ms(flow.debounce.timeout),
        }
      : null,
    singleton: flow.singleton ? { key: flow.singleton.key, mode: flow.singleton.mode } : null,
    shards: flow.shards ?? 1,
  };
}

/** The key expressions of the keyed rules, in a fixed order (duplicates kept). */
export function keyedRules(
  flow: Pick<ResolvedFlow, "concurrency" | "throttle" | "rateLimit" | "debounce" | "singleton">,
): string[] {
  const keys: string[] = [];
  for (const c of flow.concurrency) keys.push(c.key);
  if (flow.throttle?.key) keys.push(flow.throttle.key);
  if (flow.rateLimit?.key) keys.push(flow.rateLimit.key);
  if (flow.debounce) keys.push(flow.debounce.key);
  if (flow.singleton) keys.push(flow.singleton.key);
  return keys;
}

/** A task's stored keys (null or unreadable JSON: none). */
export function parseFlowKeys(json: string | null): FlowKeys {
  if (json === null) return {};
  try {
    const value: unknown = JSON.parse(json);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

/**
 * The GCRA allowance: how many starts a throttle of `limit` per `periodMs` with `burst` admits in
 * any half-open window of `windowMs` (burst + ⌈window / T⌉, T = period / limit).
 */
export function gcraAllowance(limit: number, periodMs: number, burst: number, windowMs: number): number {
  const t = periodMs / limit;
  return burst + Math.ceil(windowMs / t);
}
