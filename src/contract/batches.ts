// The API's contract for batches: a page of the batch list, one batch with its status and method
// breakdown, and what requeueing failed items made.
import { z } from "zod";

const counters = {
  batch_id: z.string(),
  label: z.string().nullable().meta({ description: "what the batch is for (given at bulk enqueue)" }),
  owner: z.string(),
  total: z.number(),
  finished: z.number(),
  failed: z.number(),
  canceled: z.number(),
  done: z.number(),
  failure_policy: z.string(),
  created_at: z.string(),
};

export const BatchSummary = z.object(counters).meta({ id: "BatchSummary" });

export const Batch = z
  .object({
    ...counters,
    statuses: z.record(z.string(), z.number()),
    methods: z.record(z.string(), z.number()).meta({ description: "the batch's tasks per method" }),
    failed_items: z
      .number()
      .meta({ description: "item ids its chunk tasks could not process and that were not requeued yet" }),
  })
  .meta({ id: "Batch" });

export const RequeuedItems = z
  .object({
    batch_id: z.string(),
    requeued: z.array(z.object({ method: z.string(), batch_id: z.string(), ids: z.number(), enqueued: z.number() })),
  })
  .meta({ id: "RequeuedItems" });
