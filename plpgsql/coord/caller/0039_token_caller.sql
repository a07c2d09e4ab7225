-- coord:owner coord_auth
-- The principal a token row stands for, found by the hash of an opaque token or by the id a
-- JWT names (its jti), with the checks both modes share: unknown, revoked (its use recorded
-- through the loopback and alerted), expired, principal or tenant disabled are PT401.
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
    select t.id as token_id, t.token_hash, t.scopes, t.expires_at, t.revoked_at, t.repository,
           p.id as principal_id, p.kind, p.role, p.name, p.disabled_at,
           n.id as tenant_id, n.name as tenant_name, n.disabled_at as tenant_disabled_at
    into v
    from coord.tokens as t
    join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
    join coord.tenants as n on n.id = t.tenant_id
    where t.token_hash = p_token_hash;
  else
    select t.id as token_id, t.token_hash, t.scopes, t.expires_at, t.revoked_at, t.repository,
           p.id as principal_id, p.kind, p.role, p.name, p.disabled_at,
           n.id as tenant_id, n.name as tenant_name, n.disabled_at as tenant_disabled_at
    into v
    from coord.tokens as t
    join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
    join coord.tenants as n on n.id = t.tenant_id
    where t.id = p_token_id;
  end if;

  if not found then
    perform coord.fail('PT401', 'unknown token');
  elsif v.revoked_at is not null then
    -- The refusal aborts this transaction; the attempt is audited in one of its own (and
    -- raises the tenant's revoked-token-use alert).
    perform coord.record_revoked_token_use(v.token_hash);
    perform coord.fail('PT401', format('token %s was revoked', v.token_id));
  elsif v.expires_at is not null and v.expires_at <= coord.now() then  -- no clock read for a token without expiry
    perform coord.fail('PT401', format('token %s expired at %s', v.token_id, v.expires_at));
  elsif v.disabled_at is not null then
    perform coord.fail('PT401', format('principal %s is disabled', v.name));
  elsif v.tenant_disabled_at is not null then
    perform coord.fail('PT401', format('tenant %s is disabled', v.tenant_name));
  end if;

  return row(v.principal_id, v.kind::text, v.name, v.role::text, v.tenant_id, v.tenant_name,
             v.scopes, null::uuid, v.token_id, v.expires_at, v.repository, null::bigint)::coord.caller;
end;
$$;

comment on function coord.token_caller(bytea, uuid) is 'The principal of the token row with hash p_token_hash (opaque tokens) or id p_token_id (a JWT''s jti); PT401 when it is unknown, revoked (its use recorded through the loopback first), expired, or its principal or tenant is disabled.';
revoke all on function coord.token_caller(bytea, uuid) from public;
