// Example methods and a document type for local use and tests (registered only where DEMO_METHODS is "on").
import { z } from "zod";
import { sleep } from "../shared/sleep";
import { defineItemTask } from "./items";
import { PermanentError, defineDocType, defineTask } from "./registry";

/** Sleeps `ms` milliseconds, honouring cancel/timeout unless `ignore_signal` (to test hard timeouts). */
export const demoSleep = defineTask({
  name: "demo.sleep",
  description: "Sleeps for `ms` milliseconds.",
  demo: true,
  args: z.strictObject({
    ms: z.int().min(0).max(3_600_000),
    ignore_signal: z.boolean().optional(),
  }),
  async run(args, ctx) {
    await sleep(args.ms, args.ignore_signal ? undefined : ctx.signal);
    return { slept_ms: args.ms };
  },
});

/** Does nothing and returns null (the benchmark's unit of work: `npm run bench`). */
export const demoNoop = defineTask({
  name: "demo.noop",
  description: "Does nothing; returns null.",
  demo: true,
  args: z.strictObject({}),
  run() {
    return null;
  },
});

/** Fails with `message` (on the first `fail_attempts` attempts only, when given). */
export const demoFail = defineTask({
  name: "demo.fail",
  description: "Throws an error with `message`.",
  demo: true,
  args: z.strictObject({
    message: z.string().max(1000).default("demo failure"),
    permanent: z.boolean().optional(),
    fail_attempts: z.int().min(1).optional(),
  }),
  run(args, ctx) {
    if (args.fail_attempts !== undefined && ctx.attempt > args.fail_attempts) {
      return { succeeded_on_attempt: ctx.attempt };
    }
    throw args.permanent ? new PermanentError(args.message) : new Error(args.message);
  },
});

/** Counts to `n`, one step every `step_ms`, reporting progress at each step. */
export const demoCount = defineTask({
  name: "demo.count",
  description: "Counts to `n` with structured progress.",
  demo: true,
  args: z.strictObject({
    n: z.int().min(1).max(100_000),
    step_ms: z.int().min(0).max(60_000).default(100),
  }),
  async run(args, ctx) {
    for (let i = 1; i <= args.n; i++) {
      await sleep(args.step_ms, ctx.signal);
      await ctx.progress({ count: i, total: args.n, description: `Counted ${i} of ${args.n}` });
      ctx.log(`counted ${i}`);
    }
    return { counted: args.n };
  },
});

/** Returns its arguments with the identity it ran as. */
export const demoEcho = defineTask({
  name: "demo.echo",
  description: "Returns its arguments, owner, attempt and trace context.",
  demo: true,
  args: z.record(z.string(), z.unknown()),
  run(args, ctx) {
    ctx.log("echo", args);
    return { args, owner: ctx.owner, attempt: ctx.attempt, trace: ctx.trace };
  },
});

/**
 * Leaves one R2 object per run under `demo/marks/<task>/` — an outside effect that shows how many
 * times a task really ran (exactly-once checks).
 */
export const demoMark = defineTask({
  name: "demo.mark",
  description: "Records each run as an R2 object under demo/marks/<task name>/ (after `ms`, honouring cancel).",
  demo: true,
  args: z.strictObject({ ms: z.int().min(0).max(60_000).optional() }),
  async run(args, ctx) {
    if (args.ms) await sleep(args.ms, ctx.signal);
    const key = `demo/marks/${ctx.name}/${ctx.attempt}-${crypto.randomUUID()}`;
    await ctx.env.RESULTS.put(key, new Date().toISOString());
    return { key };
  },
});

/** A demo document: `submit` has an inner `_submit` that runs instead; `remind` has none. */
class DemoInvoice {
  constructor(
    readonly name: string,
    readonly owner: string,
  ) {}

  submit(): unknown {
    throw new Error("the outer submit must never run when _submit exists");
  }

  _submit(args: Record<string, unknown>) {
    return { name: this.name, docstatus: 1, submitted_by: this.owner, via: "_submit", args };
  }

  remind(args: Record<string, unknown>) {
    return { name: this.name, reminded: true, via: "remind", args };
  }
}

export const demoInvoice = defineDocType({
  name: "Demo Invoice",
  demo: true,
  load: (name, ctx) => (name.startsWith("missing") ? null : new DemoInvoice(name, ctx.owner)),
  actions: {
    submit: z.record(z.string(), z.unknown()),
    remind: z.strictObject({ note: z.string().max(200).optional() }),
  },
});

/** Per-item demo for chunked bulk: ids starting with "bad" fail; each item takes `item_ms`. */
export const demoItems = defineItemTask({
  name: "demo.items",
  description: "Processes ids one by one; ids starting with 'bad' fail.",
  demo: true,
  args: z.strictObject({ item_ms: z.int().min(0).max(10_000).default(0) }),
  async item(id, args, ctx) {
    if (args.item_ms > 0) await sleep(args.item_ms, ctx.signal);
    if (id.startsWith("bad")) throw new Error(`cannot process ${id}`);
  },
});
