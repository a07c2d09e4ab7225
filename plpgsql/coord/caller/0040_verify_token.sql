-- coord:owner coord_auth
-- Resolve an opaque bearer token to its principal. Runs before any tenant is known, hence
-- owned by coord_auth (BYPASSRLS) and kept to this one lookup by hash.
create or replace function coord.verify_token(p_token text)
returns coord.caller
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v record;
  v_hash bytea;
begin
  if p_token is null or p_token = '' then
    perform coord.fail('PT401', 'the token is empty');
  end if;

  v_hash := pg_catalog.sha256(pg_catalog.convert_to(p_token, 'UTF8'));
  select t.id as token_id, t.scopes, t.expires_at, t.revoked_at, t.repository,
         p.id as principal_id, p.kind, p.role, p.name, p.disabled_at,
         n.id as tenant_id, n.name as tenant_name, n.disabled_at as tenant_disabled_at
  into v
  from coord.tokens as t
  join coord.principals as p on p.tenant_id = t.tenant_id and p.id = t.principal_id
  join coord.tenants as n on n.id = t.tenant_id
  where t.token_hash = v_hash;

  if not found then
    perform coord.fail('PT401', 'unknown token');
  elsif v.revoked_at is not null then
    -- The refusal aborts this transaction; the attempt is audited in one of its own (and
    -- raises the tenant's revoked-token-use alert).
    perform coord.record_revoked_token_use(v_hash);
    perform coord.fail('PT401', format('token %s was revoked', v.token_id));
  elsif v.expires_at <= coord.now() then
    perform coord.fail('PT401', format('token %s expired at %s', v.token_id, v.expires_at));
  elsif v.disabled_at is not null then
    perform coord.fail('PT401', format('principal %s is disabled', v.name));
  elsif v.tenant_disabled_at is not null then
    perform coord.fail('PT401', format('tenant %s is disabled', v.tenant_name));
  end if;

  return row(v.principal_id, v.kind::text, v.name, v.role::text, v.tenant_id, v.tenant_name,
             v.scopes, null::uuid, v.token_id, v.expires_at, v.repository)::coord.caller;
end;
$$;

comment on function coord.verify_token(text) is 'The principal an opaque token stands for (repository: the token''s, or null); PT401 when the token is unknown, revoked, expired, or its principal or tenant is disabled. A revoked token''s use is audited through the loopback (coord.record_revoked_token_use) before the refusal.';
revoke all on function coord.verify_token(text) from public;
