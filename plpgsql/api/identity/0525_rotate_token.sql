create or replace function api.rotate_token(
  p_name text,
  p_grace interval default interval '0',
  p_token_id uuid default null
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
  v_principal_id uuid;
  v_token_id uuid;
  v_scopes text[];
begin
  perform coord.check_interval(p_grace, 'CO227', 'grace', interval '0', interval '30 days');
  select p.id into v_principal_id
  from coord.principals as p where p.tenant_id = v_me.tenant_id and p.name = p_name;
  if not found then
    perform coord.fail('CO302', format('principal %s', coalesce(left(p_name, 100), 'null')));
  end if;
  -- The named token, or the principal's newest live one.
  select t.id, t.scopes into v_token_id, v_scopes
  from coord.tokens as t
  where t.tenant_id = v_me.tenant_id and t.principal_id = v_principal_id
    and (t.id = p_token_id or (p_token_id is null and t.revoked_at is null
                               and (t.expires_at is null or t.expires_at > coord.now())))
  order by t.created_at desc, t.id desc
  limit 1;
  if not found then
    perform coord.fail('CO303', format('no %s token of %s', case when p_token_id is null then 'live' else p_token_id::text end, p_name));
  end if;
  -- The new token carries the old one's scopes: the caller must hold them (scope.escalation),
  -- so a narrow token cannot mint itself a wider one by rotating someone else's.
  v_decision := authz.gate('token.rotate', 'token', v_token_id::text,
    jsonb_build_object('acts_on', v_principal_id, 'principal_name', p_name, 'grace', p_grace::text,
                       'grants', to_jsonb(v_scopes)));
  if not v_decision.allowed then
    return coord.token_result(p_principal_id => v_principal_id, p_principal_name => p_name,
                              p_tenant_name => v_me.tenant_name, p_token_id => v_token_id, p_refusal => v_decision);
  end if;
  return coord.rotate_token(v_me.tenant_id, v_token_id, p_grace);
end;
$$;

comment on function api.rotate_token(text, interval, uuid) is
'Operators: any principal of your tenant; agents: themselves and the devices they own. Replaces the token p_token_id of principal p_name (default: its newest live token) with a new one of the same scopes (code rotated; the new token is shown once); the old one is refused at once (p_grace 0, the default) or after p_grace. not_live when the token is revoked or expired. denied when the policy refuses: principal.not_owner, scope.escalation (the token has a scope your own lacks). Errors: CO227 grace outside 0..30 days, CO302 unknown principal, CO303 unknown token.';
revoke all on function api.rotate_token(text, interval, uuid) from public;
grant execute on function api.rotate_token(text, interval, uuid) to coord_agent, coord_operator;
