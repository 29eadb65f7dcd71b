-- Exact batch counters, kept in the same transaction as every status change of a batch task.
-- A task counts once, in the state it ended in: Finished, Canceled, or Failed with no retry
-- scheduled (a Failed task waiting for an automatic retry is not done yet). A manual retry of an
-- ended task takes it out of its counter again. Rows change only when a counter changes.
CREATE TRIGGER `tasks_batch_counters` AFTER UPDATE OF `status`, `wake_at` ON `tasks`
WHEN NEW.`batch_id` IS NOT NULL
  AND (
    (NEW.`status` = 'Finished') <> (OLD.`status` = 'Finished')
    OR (NEW.`status` = 'Canceled') <> (OLD.`status` = 'Canceled')
    OR (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) <> (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
  )
BEGIN
  UPDATE `batches` SET
    `finished` = `finished` + (NEW.`status` = 'Finished') - (OLD.`status` = 'Finished'),
    `canceled` = `canceled` + (NEW.`status` = 'Canceled') - (OLD.`status` = 'Canceled'),
    `failed` = `failed` + (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) - (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
  WHERE `batch_id` = NEW.`batch_id`;
END;
