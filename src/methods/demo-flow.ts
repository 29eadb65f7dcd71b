// An example method with flow control declared in code (docs/flow-control.md): work for a
// customer that sleeps `ms` and leaves one R2 mark per run, at most 2 running per customer. Registered where DEMO_METHODS is "on".
import { z } from "zod";
import { sleep } from "../shared/sleep";
import { defineTask } from "./registry";

/** Sleeps `ms` for `customer`; at most 2 run at once per customer (a task type may replace this). */
export const demoCustomer = defineTask({
  name: "demo.customer",
  description: "Works for `customer` for `ms` milliseconds; at most 2 at once per customer.",
  demo: true,
  args: z.strictObject({
    customer: z.string().min(1).max(140),
    ms: z.int().min(0).max(3_600_000).default(0),
    region: z.string().max(140).optional(),
  }),
  flow: { concurrency: [{ key: "arguments.customer", limit: 2 }] },
  async run(args, ctx) {
    if (args.ms > 0) await sleep(args.ms, ctx.signal);
    // One R2 object per run, like demo.mark: how many times a task really ran.
    await ctx.env.RESULTS.put(`demo/marks/${ctx.name}/${ctx.attempt}-${crypto.randomUUID()}`, args.customer);
    return { customer: args.customer };
  },
});
