-- Trust level (0-4) of the verified caller. Never taken from arguments. Until profiles land it is
-- the tenant's default; profiles replace the body, not the signature.
create or replace function coord.current_trust()
returns smallint
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal api.principal_info := coord.principal();
  v_trust smallint;
begin
  select n.default_trust into v_trust from coord.tenants as n where n.id = v_principal.tenant_id;
  return coalesce(v_trust, 0);
end;
$$;

comment on function coord.current_trust() is 'Trust level 0-4 of the vouched principal (from its profile, or the tenant default profile). Raises when unauthenticated.';
revoke all on function coord.current_trust() from public;
