create or replace function api.list_actions(p_state text default null, p_side text default null,
                                            p_limit integer default 100, p_before_id bigint default null)
returns setof api.action
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('action.read');
  v_all boolean;
begin
  perform coord.check_limit(p_limit);
  if p_state is not null
     and p_state not in ('proposed', 'approved', 'rejected', 'executing', 'executed', 'failed', 'expired') then
    perform coord.fail('CO478', format('state %s', pg_catalog.quote_literal(left(p_state, 100))));
  end if;
  if p_side is not null and p_side not in ('proposer', 'target') then
    perform coord.fail('CO478', format('side %s', pg_catalog.quote_literal(left(p_side, 100))));
  end if;
  v_all := v_me.role <> 'agent' or coord.current_trust() >= 4;
  return query
  select (coord.action_view(a)).*
  from coord.actions as a
  where a.tenant_id = v_me.tenant_id
    and (p_state is null or a.state = p_state)
    and (v_all or v_me.principal_id in (a.proposer_id, a.target_id))
    and (p_side is null or (p_side = 'proposer' and a.proposer_id = v_me.principal_id)
                        or (p_side = 'target' and a.target_id = v_me.principal_id))
    and (p_before_id is null or a.id < p_before_id)
  order by a.id desc
  limit p_limit;
end;
$$;

comment on function api.list_actions(text, text, integer, bigint) is
'Actions of your tenant, newest first: p_state proposed, approved, rejected, executing, executed, failed, expired (null: all); p_side proposer or target narrows to the actions you proposed or are the target of. Agents see those they proposed or are the target of (trust 4: all); operators and auditors all. p_limit 1-1000, older than p_before_id for paging. Read-only. Errors: CO478 state or side, CO224 limit, PT403.';
revoke all on function api.list_actions(text, text, integer, bigint) from public;
grant execute on function api.list_actions(text, text, integer, bigint) to coord_agent, coord_operator, coord_auditor;
