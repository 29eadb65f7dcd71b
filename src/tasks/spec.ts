// What a caller asks to enqueue: the task spec of the API's contract (src/contract/tasks.ts), and
// which of its keys are options rather than keyword arguments of the method.
import type { z } from "zod";
import { BATCH_ID, TaskSpec } from "../contract/tasks";

export { BATCH_ID, TaskSpec };
export type TaskSpec = z.output<typeof TaskSpec>;

/** Keys of TaskSpec that are enqueue options; every other top-level key is a keyword argument. */
export const OPTION_KEYS: ReadonlySet<string> = new Set(Object.keys(TaskSpec.shape));
