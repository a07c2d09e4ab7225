-- A task that was really inserted is submitted: audited and announced to waiting claimers.
-- An AFTER trigger, so that a duplicate that INSERT ... ON CONFLICT DO NOTHING skips (a
-- unique_key already queued) writes no event for a task that never existed and wakes nobody.
create or replace function coord.tg_tasks__submitted()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_event_id bigint;  -- assigned, not PERFORMed: an expression, not a query through the executor
begin
  perform coord.notify_task_ready(new);
  v_event_id := audit.record('task.submit', 'queued', 'task', new.id::text, null,
    jsonb_strip_nulls(jsonb_build_object('kind', new.kind, 'priority', new.priority,
      'pending_deps', new.pending_deps, 'unique_key', new.unique_key, 'locks', new.lock_paths, 'repository', new.repository,
      'run_after', new.run_after)),
    p_tenant_id => new.tenant_id,
    p_occurred_at => new.state_changed_at);  -- coord.now() of this insert (coord.tg_tasks__transition)
  return null;
end;
$$;

comment on function coord.tg_tasks__submitted() is 'Trigger: audits (task.submit) and announces each task once it is inserted; a row skipped by ON CONFLICT DO NOTHING fires nothing.';
revoke all on function coord.tg_tasks__submitted() from public;

create or replace trigger tasks_submitted
  after insert on coord.tasks
  for each row execute function coord.tg_tasks__submitted();
alter table coord.tasks enable always trigger tasks_submitted;
