// Progress of a running attempt, and the heartbeat it gives: written only while that attempt is Started.
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import type { Json } from "../shared/json";
import type { Progress } from "../shared/states";
import { eventColumns, nextSeq, type EventRow } from "./columns";

/** Stores progress of a Started attempt. Null when the task is no longer Started in this attempt. */
export async function saveProgress(
  db: Db,
  task: { name: string; attempt: number },
  progress: Json<Progress>,
): Promise<EventRow | null> {
  const [[row]] = await db.batch([
    db
      .update(tasks)
      .set({ progress, seq: nextSeq })
      .where(and(eq(tasks.name, task.name), eq(tasks.status, "Started"), eq(tasks.attempt, task.attempt)))
      .returning(eventColumns),
  ]);
  return row ?? null;
}
