-- The field-range CHECKs of coord.tasks move into its transition trigger
-- (coord.tg_tasks__transition, enabled ALWAYS), which refuses the same rows with the same error
-- (23514, the same constraint names and message). PostgreSQL prepares a table's CHECK
-- expressions again in every statement that writes it: these six (two regexes, payload::text,
-- result::text, an array containment, a timestamp range) cost ~50 us of every task write, three
-- or more per lifecycle, whatever columns the write changed; the trigger's copy is compiled once
-- per session and checks only the columns a write changed. The state CHECKs
-- (tasks_queued_check, tasks_claimed_check, tasks_completed_check, tasks_finished_check) stay.
alter table coord.tasks
  drop constraint tasks_values_check,
  drop constraint tasks_repository_check,
  drop constraint tasks_id_check,
  drop constraint tasks_claim_check,
  drop constraint tasks_required_verifications_check,
  drop constraint tasks_run_after_in_range;
