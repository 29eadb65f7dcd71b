// The async_task_status event's wire shape, free of runtime imports so the browser console and the
// Node client can type-check against it without the Worker's types.
import type { Progress, TaskStatus } from "../shared/states";

/** The event as sent over WebSockets. `error_detail` (with the stack) is only kept for admins. */
export interface TaskEvent {
  name: string;
  job_name: string;
  method: string;
  owner: string;
  status: TaskStatus;
  message: string | null;
  error: string | null;
  error_detail: string | null;
  progress: Progress | null;
  retry_at: string | null;
  batch_id: string | null;
  batch_done: number | null;
  batch_total: number | null;
  seq: number;
  ts: string;
}
