create or replace function api.list_verifications(p_task_id bigint)
returns setof api.verification
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('task.read');
begin
  if not exists (select from coord.tasks as t where t.tenant_id = v_me.tenant_id and t.id = p_task_id) then
    perform coord.fail('CO410', format('no task %s in this tenant', coalesce(p_task_id::text, 'null')));
  end if;
  return query
    select v.id, v.task_id, v.claim, v.tier::text, v.status::text, v.executor, p.name, v.output_digest, v.details,
           v.recorded_at
    from coord.task_verifications as v
    join coord.principals as p on p.tenant_id = v.tenant_id and p.id = v.recorded_by
    where v.tenant_id = v_me.tenant_id and v.task_id = p_task_id
    order by v.id;
end;
$$;

comment on function api.list_verifications(bigint) is 'The verification records of one task of your tenant, oldest first, with the claim each verified and who recorded it. Read-only. Errors: CO410 unknown task, PT403.';
revoke all on function api.list_verifications(bigint) from public;
grant execute on function api.list_verifications(bigint) to coord_agent, coord_operator, coord_auditor;
