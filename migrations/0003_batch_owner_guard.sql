-- A task can only join a batch its owner owns: one user can never add tasks to (and move the
-- counters of) another user's batch, whichever code path inserts the task.
CREATE TRIGGER `tasks_batch_owner_guard` BEFORE INSERT ON `tasks`
WHEN NEW.`batch_id` IS NOT NULL
  AND EXISTS (SELECT 1 FROM `batches` WHERE `batch_id` = NEW.`batch_id` AND `owner` <> NEW.`owner`)
BEGIN
  SELECT RAISE(ABORT, 'batch_id belongs to another owner');
END;
--> statement-breakpoint
-- batches.total counts every task ever inserted into the batch, in the inserting transaction.
-- The batch row is created by its first task unless bulk enqueue created it first (to set its
-- failure policy).
CREATE TRIGGER `tasks_batch_total` AFTER INSERT ON `tasks`
WHEN NEW.`batch_id` IS NOT NULL
BEGIN
  INSERT INTO `batches` (`batch_id`, `owner`, `total`, `created_at`)
  VALUES (NEW.`batch_id`, NEW.`owner`, 1, NEW.`created_at`)
  ON CONFLICT (`batch_id`) DO UPDATE SET `total` = `total` + 1;
END;
