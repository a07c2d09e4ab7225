-- coord:owner coord_auth
-- The principal a token row stands for, found by the hash of an opaque token or by the id a
-- JWT names (its jti), with the checks both modes share: unknown, revoked (its use recorded
-- through the loopback and alerted), expired, principal or tenant disabled are PT401. Which
-- of these holds is coord.token_principals' refusal; api.authenticate reads that view itself
-- for an opaque token and calls this only to refuse.
create or replace function coord.token_caller(p_token_hash bytea default null, p_token_id uuid default null)
returns coord.caller
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v record;
begin
  if p_token_hash is not null then
    select * into v from coord.token_principals as t where t.token_hash = p_token_hash;
  else
    select * into v from coord.token_principals as t where t.token_id = p_token_id;
  end if;

  -- The rules are coord.token_principals' refusal; here each becomes its PT401.
  if not found then
    perform coord.fail('PT401', 'unknown token');
  elsif v.refusal = 'revoked' then
    -- The refusal aborts this transaction; the attempt is audited in one of its own (and
    -- raises the tenant's revoked-token-use alert).
    perform coord.record_revoked_token_use(v.token_hash);
    perform coord.fail('PT401', format('token %s was revoked', v.token_id));
  elsif v.refusal = 'expired' then
    perform coord.fail('PT401', format('token %s expired at %s', v.token_id, v.expires_at));
  elsif v.refusal = 'principal_disabled' then
    perform coord.fail('PT401', format('principal %s is disabled', v.name));
  elsif v.refusal = 'tenant_disabled' then
    perform coord.fail('PT401', format('tenant %s is disabled', v.tenant_name));
  elsif v.refusal is not null then
    perform coord.fail('CO501', format('token refusal %s has no error', v.refusal));
  end if;

  return row(v.principal_id, v.kind::text, v.name, v.role::text, v.tenant_id, v.tenant_name,
             v.scopes, null::uuid, v.token_id, v.expires_at, v.repository, null::bigint)::coord.caller;
end;
$$;

comment on function coord.token_caller(bytea, uuid) is 'The principal of the token row with hash p_token_hash (opaque tokens) or id p_token_id (a JWT''s jti); PT401 when it is unknown, revoked (its use recorded through the loopback first), expired, or its principal or tenant is disabled.';
revoke all on function coord.token_caller(bytea, uuid) from public;
