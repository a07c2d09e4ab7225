create or replace function api.add_device(
  p_name text,
  p_scopes text[],
  p_expires_in interval default null
)
returns api.token_grant
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
begin
  perform coord.check_list(p_scopes, 'scopes');
  -- The device's scopes must all be held by the caller's own token (scope.escalation).
  v_decision := authz.gate('device.add', 'principal', p_name,
    jsonb_build_object('scopes', p_scopes, 'grants', to_jsonb(coalesce(p_scopes, '{}'))));
  if not v_decision.allowed then
    return coord.token_result(p_principal_name => p_name, p_tenant_name => v_me.tenant_name, p_role => 'agent',
                              p_scopes => p_scopes, p_refusal => v_decision);
  end if;
  return coord.add_device(v_me.tenant_id, v_me.principal_id, p_name, p_scopes, p_expires_in);
end;
$$;

comment on function api.add_device(text, text[], interval) is
'Agents and operators: adds device p_name, owned by you, and returns its first token (code issued; shown once) with p_scopes (required, e.g. {sessions:write,tasks:read}) and optional lifetime p_expires_in. The device authenticates as the agent role held to those scopes; you act for it (you never approve its requests). denied when the policy refuses: scope.escalation (a scope your own token lacks), device.by_device. Errors: CO221 bad name, CO241/CO222 bad scopes, CO223 bad lifetime, CO304 name taken.';
revoke all on function api.add_device(text, text[], interval) from public;
grant execute on function api.add_device(text, text[], interval) to coord_agent, coord_operator;
