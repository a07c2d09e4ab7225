-- The field-range CHECKs of coord.tasks move into its transition trigger
-- (coord.tg_tasks__transition, enabled ALWAYS), which raises the same error (23514, the same
-- constraint names and message) for the same rows. PostgreSQL prepares a table's CHECK
-- expressions again in every statement that writes it: these two (a regex, payload::text,
-- result::text) cost ~40 us of every task write, three or more per lifecycle, whatever columns
-- the write changed; the trigger's copy is compiled once per session and checks only the
-- columns a write changed. The state CHECKs (tasks_queued_check, ...) stay declared.
alter table coord.tasks
  drop constraint tasks_values_check,
  drop constraint tasks_repository_check;
