create or replace function api.list_tasks(
  p_state text default null,
  p_kind text default null,
  p_limit integer default 100,
  p_before_id bigint default null
)
returns setof api.task
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
  if p_state is not null and p_state not in ('queued', 'claimed', 'completed', 'failed', 'cancelled', 'dead') then
    perform coord.fail('CO418', format('state %s', pg_catalog.quote_literal(left(p_state, 100))));
  end if;
  perform coord.check_limit(p_limit);
  return query
    select (d.task).*
    from coord.task_details as d
    where d.tenant_id = v_me.tenant_id
      and (p_state is null or d.state = p_state::coord.task_state)
      and (p_kind is null or d.kind = p_kind)
      and (p_before_id is null or d.id < p_before_id)
    order by d.id desc
    limit p_limit;
end;
$$;

comment on function api.list_tasks(text, text, integer, bigint) is 'Tasks of your tenant, newest first, optionally of one state and kind; page with p_before_id. Read-only. Errors: CO418 state, CO224 limit, PT403.';
revoke all on function api.list_tasks(text, text, integer, bigint) from public;
grant execute on function api.list_tasks(text, text, integer, bigint) to coord_agent, coord_operator, coord_auditor;
