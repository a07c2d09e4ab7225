-- Wake-up hint for waiting claimers: NOTIFY on the tenant's channel with the task's kind when a
-- task becomes claimable now (queued, no open dependencies, run_after passed). Delivered at
-- commit, duplicates folded. A hint only: waiters re-check on a timer as well, since a task
-- whose run_after lies in the future or a missed notification would otherwise go unnoticed.
create or replace function coord.notify_task_ready(p_task coord.tasks)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_task.state = 'queued' and p_task.pending_deps = 0 and p_task.run_after <= coord.now() then
    perform pg_catalog.pg_notify(coord.task_channel(p_task.tenant_id), p_task.kind);
  end if;
end;
$$;

comment on function coord.notify_task_ready(coord.tasks) is 'NOTIFY coord.task_channel(tenant) with the kind when the task is claimable now; a wake-up hint for claimers waiting on LISTEN.';
revoke all on function coord.notify_task_ready(coord.tasks) from public;
