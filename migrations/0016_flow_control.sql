-- Flow control (issue 18). A task type may carry the method's flow control settings (JSON, see
-- src/shared/flow.ts); NULL means the settings declared in code (defineTask), or none. A task
-- carries the keys it was given at enqueue (`flow_keys`, JSON) and, when flow control ended it
-- (rate limited, debounced, replaced or skipped as a singleton), why (`flow_outcome`; the task is
-- Canceled). No index: both are read with their row, never searched by in D1.
ALTER TABLE `task_types` ADD `flow_control` text;
--> statement-breakpoint
ALTER TABLE `tasks` ADD `flow_keys` text;
--> statement-breakpoint
ALTER TABLE `tasks` ADD `flow_outcome` text;
