-- PL/pgSQL so the caller is checked first, whatever plan the query gets.
create or replace function api.get_action(p_action_id bigint)
returns api.action
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('action.read');
  v_row coord.actions;
begin
  if p_action_id is null or p_action_id <= 0 then
    perform coord.fail('CO457', format('action id %s', coalesce(p_action_id::text, 'null')));
  end if;
  select * into v_row from coord.actions as a where a.tenant_id = v_me.tenant_id and a.id = p_action_id;
  if not found or (v_me.principal_id not in (v_row.proposer_id, v_row.target_id) and v_me.role = 'agent'
                   and coord.current_trust() < 4) then
    perform coord.fail('CO457', format('action %s', p_action_id));
  end if;
  return coord.action_view(v_row);
end;
$$;

comment on function api.get_action(bigint) is
'Action p_action_id: its kind, payload, required scopes, proposer, target, approval request, state, claim and attempts, result or error. Agents see the actions they proposed or are the target of (trust 4: all); operators and auditors all of the tenant. Read-only. Errors: CO457 unknown action, PT403.';
revoke all on function api.get_action(bigint) from public;
grant execute on function api.get_action(bigint) to coord_agent, coord_operator, coord_auditor;
