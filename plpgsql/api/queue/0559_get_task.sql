create or replace function api.get_task(p_task_id bigint)
returns api.task
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('task.read');
  v_task api.task;
begin
  select (d.task).* into v_task from coord.task_details as d where d.tenant_id = v_me.tenant_id and d.id = p_task_id;
  if not found then
    perform coord.fail('CO410', format('no task %s in this tenant', coalesce(p_task_id::text, 'null')));
  end if;
  return v_task;
end;
$$;

comment on function api.get_task(bigint) is 'One task of your tenant with its state, claim, dependencies and result. Read-only. Errors: CO410 unknown task, PT403.';
revoke all on function api.get_task(bigint) from public;
grant execute on function api.get_task(bigint) to coord_agent, coord_operator, coord_auditor;
