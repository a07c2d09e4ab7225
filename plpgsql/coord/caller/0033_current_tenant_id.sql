-- coord:owner coord_auth
-- Tenant of the verified caller, for row-level security; null (no rows) when unauthenticated.
-- Every RLS-protected statement evaluates it once (as an initplan).
create or replace function coord.current_tenant_id()
returns uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return (coord.try_principal()).tenant_id;
end;
$$;

comment on function coord.current_tenant_id() is 'Tenant of the vouched principal, or null. Every RLS policy compares tenant_id with it.';
revoke all on function coord.current_tenant_id() from public;
grant execute on function coord.current_tenant_id() to coord_owner;
