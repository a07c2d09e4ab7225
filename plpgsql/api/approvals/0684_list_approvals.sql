create or replace function api.list_approvals(p_state text default 'pending', p_limit integer default 100,
                                              p_before_id bigint default null)
returns setof api.approval
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('approval.read');
  v_all boolean;
begin
  perform coord.check_limit(p_limit);
  if p_state is not null and p_state not in ('pending', 'approved', 'denied', 'expired', 'cancelled', 'used') then
    perform coord.fail('CO456', format('state %s', pg_catalog.quote_literal(left(p_state, 100))));
  end if;
  v_all := v_me.role <> 'agent' or coord.current_trust() >= 4;
  return query
  select (coord.approval_view(r)).*
  from coord.approval_requests as r
  where r.tenant_id = v_me.tenant_id
    and (p_state is null or r.state = p_state)
    and (v_all or r.requester_id = v_me.principal_id)
    and (p_before_id is null or r.id < p_before_id)
  order by r.id desc
  limit p_limit;
end;
$$;

comment on function api.list_approvals(text, integer, bigint) is
'Approval requests of your tenant, newest first: p_state pending (default), approved, denied, expired, cancelled, used, or null for all; agents see their own, operators, auditors and trust-4 agents all. p_limit 1-1000, older than p_before_id for paging. Read-only. Errors: CO456 state, CO224 limit, PT403.';
revoke all on function api.list_approvals(text, integer, bigint) from public;
grant execute on function api.list_approvals(text, integer, bigint) to coord_agent, coord_operator, coord_auditor;
