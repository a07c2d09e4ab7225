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
  v_vouch text := pg_catalog.current_setting('coord.vouch', true);
  v_cache text := pg_catalog.current_setting('coord.principal_cache', true);
  v_key text;
begin
  if v_vouch is null or v_vouch = '' then
    return null;
  end if;
  v_key := v_vouch || '|' || pg_catalog.current_setting('role') || '|';
  if v_cache is not null and pg_catalog.starts_with(v_cache, v_key) then
    return pg_catalog.substr(v_cache, pg_catalog.length(v_key) + 1, 36)::uuid;
  end if;
  return (coord.try_principal()).tenant_id;
end;
$$;

comment on function coord.current_tenant_id() is 'Tenant of the vouched principal, or null. Every RLS policy compares tenant_id with it.';
revoke all on function coord.current_tenant_id() from public;
grant execute on function coord.current_tenant_id() to coord_owner;
