// What the object owes the log: every task whose current state the log has not recorded. A new
// task is held back for a moment (`delayMs`) so that one that ends quickly is written once, already
// ended; after that, every change goes out with the next group. Once the log has a group, ended
// tasks leave the object and their claims rows with them.
import { isEnded } from "../shared/states";
import { Live, type Change } from "./live";
import type { TaskRecord } from "./store";

/** How far the stored log mark may trail the real one. */
const MARK_EVERY_MS = 10_000;

/** One group for the log: each task's state now, and the changes to publish once it is written. */
export interface LogGroup {
  takenAt: number;
  tasks: TaskRecord[];
  changes: Map<string, Change[]>;
}

/** The tasks due in the log at `now`: ended ones, and any whose creation is `delayMs` past. */
export function takeLogGroup(live: Live, now: number, delayMs: number, max: number): LogGroup {
  const group: LogGroup = { takenAt: now, tasks: [], changes: new Map() };
  const names = [...live.dirty.keys()];
  for (let i = 0; i < names.length && group.tasks.length < max; i += 500) {
    for (const task of live.getMany(names.slice(i, i + 500))) {
      if (group.tasks.length >= max) break;
      if (!isEnded(task) && task.createdAt + delayMs > now) continue;
      group.tasks.push(task);
      group.changes.set(task.name, [...(live.dirty.get(task.name)?.changes ?? [])]);
    }
  }
  // A dirty name the object no longer holds has nothing left to log.
  for (const name of names) if (!live.store.readTask(name)) live.dirty.delete(name);
  return group;
}

/** When the next held-back task becomes due (null: none held back). */
export function nextLogDue(live: Live, delayMs: number): number | null {
  let next: number | null = null;
  for (const task of live.getMany([...live.dirty.keys()].slice(0, 5000))) {
    const due = isEnded(task) ? 0 : task.createdAt + delayMs;
    if (next === null || due < next) next = due;
  }
  return next;
}

/**
 * The log has `group`: a task still in the state that was written leaves the dirty set, and if
 * it has ended, the object (its row, its attempt, its claims row once empty). A task that changed
 * meanwhile stays dirty with its newer changes. Moves the log mark (what a restart re-sends).
 */
export function confirmLogGroup(live: Live, group: LogGroup, now: number): void {
  const gone: string[] = [];
  const current = new Map(live.getMany(group.tasks.map((t) => t.name)).map((t) => [t.name, t]));
  for (const written of group.tasks) {
    const task = current.get(written.name);
    const entry = live.dirty.get(written.name);
    if (entry) {
      entry.changes = entry.changes.filter((c) => c.seq > written.seq);
      if (entry.changes.length === 0 && task?.seq === written.seq) live.dirty.delete(written.name);
    }
    if (
      task &&
      task.seq === written.seq &&
      isEnded(task) &&
      !live.dirty.has(task.name) &&
      live.mayLeave(task.name, now)
    ) {
      live.drop(task.name);
      live.stopping.delete(task.name);
      gone.push(task.name);
    }
  }
  live.store.deleteTasks(gone);
  let mark = group.takenAt;
  for (const entry of live.dirty.values()) mark = Math.min(mark, entry.since);
  // The mark only saves a restart from re-sending changes the log already has (a re-sent state
  // writes nothing), so it may lag: moving it at most every MARK_EVERY_MS keeps a busy object
  // from paying a row per group for it.
  const previous = Number(live.store.meta("log_mark") ?? 0);
  if (mark >= previous + MARK_EVERY_MS) live.store.setMeta("log_mark", mark);
}
