-- coord:owner coord_auth
-- Tenant of the verified caller, for row-level security; null (no rows) when unauthenticated.
-- Every RLS-protected statement evaluates it once (as an initplan), a dozen times per api call:
-- it reads the tenant from coord.principal_cache when try_principal filled it in this call
-- (under the same key try_principal checks), and asks try_principal otherwise.
create or replace function coord.current_tenant_id()
returns uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  -- the key try_principal files the caller under; null without a vouch
  v_key text := nullif(pg_catalog.current_setting('coord.vouch', true), '') || '|'
                || pg_catalog.current_setting('role') || '|';
begin
  -- One test, one return: the cheapest PL/pgSQL that reads the cache (it runs ~8 times per call).
  if pg_catalog.starts_with(pg_catalog.current_setting('coord.principal_cache', true), v_key) then
    return pg_catalog.substr(pg_catalog.current_setting('coord.principal_cache'), pg_catalog.length(v_key) + 1, 36)::uuid;
  end if;
  return (coord.try_principal()).tenant_id;
end;
$$;

comment on function coord.current_tenant_id() is 'Tenant of the vouched principal, or null. Every RLS policy compares tenant_id with it.';
revoke all on function coord.current_tenant_id() from public;
grant execute on function coord.current_tenant_id() to coord_owner;
