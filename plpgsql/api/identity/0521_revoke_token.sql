create or replace function api.revoke_token(p_token_id uuid)
returns api.result
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
  v_decision := authz.gate('token.revoke', 'token', p_token_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  return coord.revoke_token(v_me.tenant_id, p_token_id);
end;
$$;

comment on function api.revoke_token(uuid) is
'Operators: revokes a token of your tenant (code revoked, or already_revoked); its next use fails with PT401. denied when the policy refuses. Errors: CO303 unknown token.';
revoke all on function api.revoke_token(uuid) from public;
grant execute on function api.revoke_token(uuid) to coord_operator;
