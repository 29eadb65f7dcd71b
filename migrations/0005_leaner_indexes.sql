DROP INDEX `tasks_method`;--> statement-breakpoint
CREATE INDEX `tasks_paused` ON `tasks` (`method`) WHERE "tasks"."status" = 'Paused';