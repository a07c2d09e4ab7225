-- Tenant of the verified caller, for row-level security; null (no rows) when unauthenticated.
create or replace function coord.current_tenant_id()
returns uuid
language sql
stable
set search_path = ''
as $$
  select (coord.try_principal()).tenant_id;
$$;

comment on function coord.current_tenant_id() is 'Tenant of the vouched principal, or null. Every RLS policy compares tenant_id with it.';
revoke all on function coord.current_tenant_id() from public;
