// Global settings rows: the dispatcher switch and the last cron run.
import { eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { settings } from "./schema";
import { DISPATCHER_KEY } from "../shared/states";

export const LAST_CRON_KEY = "last_cron_at";

/** The setting's value and when it changed, or null. */
export async function getSetting(db: Db, key: string): Promise<{ value: string; updatedAt: number } | null> {
  const [row] = await db.select().from(settings).where(eq(settings.key, key));
  return row ? { value: row.value, updatedAt: row.updatedAt } : null;
}

/** Upserts a setting. */
export async function setSetting(db: Db, key: string, value: string, now: number): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: sql`excluded.updated_at` } });
}

/** The dispatcher state (enabled unless switched off). */
export async function getDispatcher(db: Db): Promise<{ enabled: boolean; updatedAt: number | null }> {
  const row = await getSetting(db, DISPATCHER_KEY);
  return { enabled: row === null || row.value === "1", updatedAt: row?.updatedAt ?? null };
}
