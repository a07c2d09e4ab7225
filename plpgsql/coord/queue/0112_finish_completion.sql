-- The write of a completion, once the claim is known to be the caller's live one and the
-- declared operations passed (complete_task, complete_tasks): the task's leases end, the task
-- is completed with its result (the transition trigger audits it), and its queued dependents
-- count down; the last parent to complete makes a dependent ready. Returns how many dependents
-- counted down.
create or replace function coord.finish_completion(p_task_id bigint, p_result jsonb)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_unblocked integer;
begin
  -- A task without leases or dependents (the common case) skips those statements; an index
  -- probe each says so.
  if exists (select from coord.locks as l where l.task_id = p_task_id) then
    perform coord.drop_task_leases(p_task_id);
  end if;
  update coord.tasks
  set state = 'completed', result = coalesce(p_result, '{}'), finished_at = coord.now(), lease_expires_at = null,
      last_event = 'completed'
  where id = p_task_id;
  v_unblocked := 0;
  if exists (select from coord.task_dependencies as d where d.depends_on_id = p_task_id) then
    update coord.tasks as t set pending_deps = t.pending_deps - 1
    from coord.task_dependencies as d
    where d.depends_on_id = p_task_id and t.id = d.task_id and t.state = 'queued';
    get diagnostics v_unblocked = row_count;
  end if;
  return v_unblocked;
end;
$$;

comment on function coord.finish_completion(bigint, jsonb) is 'Completes a task whose live claim was checked: drops its leases, stores the result, counts its queued dependents down; returns how many.';
revoke all on function coord.finish_completion(bigint, jsonb) from public;
