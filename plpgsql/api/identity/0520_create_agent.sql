create or replace function api.create_agent(
  p_name text,
  p_scopes text[] default '{*}',
  p_expires_in interval default null,
  p_repository text default null
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
  if p_repository is not null then
    perform coord.check_repository(p_repository);
  end if;
  -- The new token's scopes must all be held by the caller's own token (scope.escalation).
  v_decision := authz.gate('principal.create', 'principal', p_name,
    jsonb_build_object('scopes', p_scopes, 'grants', to_jsonb(coalesce(p_scopes, '{*}'))));
  if not v_decision.allowed then
    return coord.token_result(p_principal_name => p_name, p_tenant_name => v_me.tenant_name, p_role => 'agent',
                              p_scopes => p_scopes, p_refusal => v_decision);
  end if;
  return coord.register_principal(v_me.tenant_id, 'agent', p_name, p_scopes, p_expires_in, p_repository);
end;
$$;

comment on function api.create_agent(text, text[], interval, text) is
'Operators: registers agent p_name in your tenant and returns its first token (code issued; the token is shown once) with p_scopes (default {*}) and optional lifetime p_expires_in; p_repository names the repository its calls act in outside a session (default: default). denied when the policy refuses, including scope.escalation: every scope of the new token must be held by your own. Errors: CO207 bad repository, CO221 bad name, CO241/CO222 bad scopes, CO223 bad lifetime (at most 100 years), CO304 name taken.';
revoke all on function api.create_agent(text, text[], interval, text) from public;
grant execute on function api.create_agent(text, text[], interval, text) to coord_operator;
