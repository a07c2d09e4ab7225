create or replace function coord.revoke_token(p_tenant_id uuid, p_token_id uuid)
returns api.result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_token record;
begin
  select t.id, t.revoked_at, p.name
  into v_token
  from coord.tokens as t
  join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
  where t.tenant_id = p_tenant_id and t.id = p_token_id
  for update of t;
  if not found then
    perform coord.fail('CO303', format('token %s', p_token_id));
  end if;
  if v_token.revoked_at is not null then
    return coord.result('already_revoked', format('revoked at %s', v_token.revoked_at),
                        jsonb_build_object('token_id', p_token_id, 'principal_name', v_token.name));
  end if;

  update coord.tokens set revoked_at = coord.now() where id = p_token_id;
  perform audit.record('token.revoke', 'revoked', 'token', p_token_id::text, null,
    jsonb_build_object('principal_name', v_token.name), p_tenant_id => p_tenant_id, p_severity => 'notice');
  return coord.result('revoked', p_details => jsonb_build_object('token_id', p_token_id, 'principal_name', v_token.name));
end;
$$;

comment on function coord.revoke_token(uuid, uuid) is 'Revokes a token of the tenant; the next call with it fails with PT401. Idempotent (already_revoked). CO303 unknown token.';
revoke all on function coord.revoke_token(uuid, uuid) from public;
