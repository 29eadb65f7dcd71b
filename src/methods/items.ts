// Per-item handlers for chunked bulk processing (seed 003): each chunk task processes its ids one
// by one; one item's failure is recorded (id + message) and the rest go on.
import { z } from "zod";
import { getDb } from "../db/client";
import { replaceItemFailures } from "../db/item-failures";
import type { Role, QueueName } from "../shared/states";
import type { TaskContext, TaskDefinition } from "./registry";

/** Most ids one chunk task carries. */
export const CHUNK_MAX = 1000;

export interface ItemTaskDefinition<S extends z.ZodObject> {
  readonly name: string;
  readonly description?: string;
  readonly roles?: readonly Role[];
  /** Default queue: long, as chunked bulk work usually is. */
  readonly queue?: QueueName;
  readonly timeout?: number;
  readonly demo?: boolean;
  /** Arguments shared by every chunk, besides `ids`. */
  readonly args?: S;
  /** Processes one item; throwing marks just that item failed. */
  item(id: string, args: z.output<S>, ctx: TaskContext): unknown;
}

/**
 * Declares a per-item method: its tasks take `{ ids, ...args }`, report progress in items, record
 * failed items for `POST /api/v1/batches/{id}/requeue-failed-items`, and finish with a summary.
 * A cancel or timeout stops between items (the signal is checked before each one).
 */
export function defineItemTask<S extends z.ZodObject>(def: ItemTaskDefinition<S>): TaskDefinition {
  const shared = def.args ?? z.strictObject({});
  const args = shared.extend({ ids: z.array(z.string().min(1).max(140)).min(1).max(CHUNK_MAX) });
  return {
    name: def.name,
    description: def.description,
    roles: def.roles,
    queue: def.queue ?? "long",
    timeout: def.timeout,
    demo: def.demo,
    itemTask: true,
    args,
    async run(input: Record<string, unknown>, ctx: TaskContext) {
      const { ids, ...rest } = input as { ids: string[] } & Record<string, unknown>;
      const failures: { id: string; error: string }[] = [];
      for (let i = 0; i < ids.length; i++) {
        ctx.signal.throwIfAborted();
        const id = ids[i] ?? "";
        try {
          await def.item(id, rest as z.output<S>, ctx);
        } catch (error) {
          ctx.signal.throwIfAborted();
          failures.push({ id, error: error instanceof Error ? error.message.slice(0, 1000) : String(error) });
        }
        await ctx.progress({
          count: i + 1,
          total: ids.length,
          description: `${i + 1} of ${ids.length} items${failures.length > 0 ? ` (${failures.length} failed)` : ""}`,
        });
      }
      await replaceItemFailures(getDb(ctx.env), ctx.name, ctx.task.batchId, failures, Date.now());
      return {
        processed: ids.length,
        succeeded: ids.length - failures.length,
        failed: failures.length,
        failed_ids: failures.slice(0, 100).map((f) => f.id),
      };
    },
  };
}
