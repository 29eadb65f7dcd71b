DROP INDEX `tasks_in_flight`;--> statement-breakpoint
CREATE INDEX `tasks_in_flight` ON `tasks` (`method`) WHERE "tasks"."queued_at" IS NOT NULL AND "tasks"."ended_at" IS NULL;