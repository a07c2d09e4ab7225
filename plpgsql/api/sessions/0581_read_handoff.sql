create or replace function api.read_handoff(
  p_handoff_id bigint default null,
  p_task_id bigint default null,
  p_from_agent text default null,
  p_for_me boolean default false,
  p_limit integer default 10
)
returns setof api.handoff
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('handoff.read');
begin
  perform coord.check_limit(p_limit);
  return query
    select h.id, a.name, h.session_id, h.task_id, r.name, h.summary, h.completed, h.in_progress, h.decisions,
           h.next_steps, h.relevant_files, h.created_at, h.repository::text
    from coord.handoffs as h
    join coord.principals as a on a.tenant_id = h.tenant_id and a.id = h.author_id
    left join coord.principals as r on r.tenant_id = h.tenant_id and r.id = h.to_agent_id
    where h.tenant_id = v_me.tenant_id
      and (p_handoff_id is null or h.id = p_handoff_id)
      and (p_task_id is null or h.task_id = p_task_id)
      and (p_from_agent is null or a.name = p_from_agent)
      and (not coalesce(p_for_me, false) or h.to_agent_id = v_me.principal_id
           or (h.to_agent_id is null and h.author_id = v_me.principal_id))
    order by h.id desc
    limit p_limit;
end;
$$;

comment on function api.read_handoff(bigint, bigint, text, boolean, integer) is
'Handoff documents of your tenant, newest first: one by id, about a task, from an agent, or (p_for_me) addressed to you or left by you for yourself. Read-only. Errors: CO224 limit, PT403.';
revoke all on function api.read_handoff(bigint, bigint, text, boolean, integer) from public;
grant execute on function api.read_handoff(bigint, bigint, text, boolean, integer) to coord_agent, coord_operator, coord_auditor;
