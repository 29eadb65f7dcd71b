-- Admission order across batches: at_front (lane), priority, then creation order, where a batch
-- takes its place by its creation and batch_order orders only within it. order_key is the task's
-- own name, or its batch's order_key (the name of the batch's first task).
DROP INDEX `tasks_dispatch`;--> statement-breakpoint
ALTER TABLE `tasks` ADD `order_key` text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE `batches` ADD `order_key` text NOT NULL DEFAULT '';--> statement-breakpoint
UPDATE `batches` SET `order_key` = coalesce((SELECT min(`name`) FROM `tasks` WHERE `tasks`.`batch_id` = `batches`.`batch_id`), `batch_id`);--> statement-breakpoint
UPDATE `tasks` SET `order_key` = CASE
  WHEN `batch_id` IS NULL THEN `name`
  ELSE coalesce((SELECT `order_key` FROM `batches` WHERE `batches`.`batch_id` = `tasks`.`batch_id`), `name`)
END;--> statement-breakpoint
CREATE INDEX `tasks_dispatch` ON `tasks` (`method`,"lane" DESC,"priority" DESC,`order_key`,`batch_order`,`name`) WHERE "tasks"."status" = 'Pending' AND "tasks"."wake_at" IS NULL;--> statement-breakpoint
-- The batch row a first task creates takes that task's order_key.
DROP TRIGGER `tasks_batch_total`;--> statement-breakpoint
CREATE TRIGGER `tasks_batch_total` AFTER INSERT ON `tasks`
WHEN NEW.`batch_id` IS NOT NULL
BEGIN
  INSERT INTO `batches` (`batch_id`, `owner`, `total`, `created_at`, `order_key`)
  VALUES (NEW.`batch_id`, NEW.`owner`, 1, NEW.`created_at`, NEW.`order_key`)
  ON CONFLICT (`batch_id`) DO UPDATE SET `total` = `total` + 1;
END;
