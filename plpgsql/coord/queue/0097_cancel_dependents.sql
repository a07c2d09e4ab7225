-- Failure propagates: every task that (transitively) depends on a task that failed, died or
-- was cancelled can never run, so it is cancelled, naming the task that broke the chain.
-- Claimed dependents cannot exist (a claim needs every dependency completed).
create or replace function coord.cancel_dependents(p_tenant_id uuid, p_task_id bigint)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_count integer;
begin
  with recursive below (id) as (
    select d.task_id from coord.task_dependencies as d
    where d.depends_on_id = p_task_id and d.tenant_id = p_tenant_id
    union
    select d.task_id from coord.task_dependencies as d join below on d.depends_on_id = below.id
  )
  update coord.tasks as t
  set state = 'cancelled', finished_at = coord.now(), last_event = 'dependency_failed',
      last_error = format('dependency %s did not complete', p_task_id)
  from below
  where t.id = below.id and t.state = 'queued';
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

comment on function coord.cancel_dependents(uuid, bigint) is 'Cancels every queued task that transitively depends on p_task_id (which failed, died or was cancelled); returns how many.';
revoke all on function coord.cancel_dependents(uuid, bigint) from public;
