-- Run again: a task may name the earlier task it repeats (rerun_of); the partial index makes "which
-- tasks run this one again" a cheap read and costs an index row only for reruns.
ALTER TABLE `tasks` ADD `rerun_of` text;
--> statement-breakpoint
CREATE INDEX `tasks_rerun_of` ON `tasks` (`rerun_of`) WHERE "tasks"."rerun_of" IS NOT NULL;
--> statement-breakpoint
-- Batches may carry a label saying what they are for (bulk enqueue and chunked bulk take it).
ALTER TABLE `batches` ADD `label` text;
