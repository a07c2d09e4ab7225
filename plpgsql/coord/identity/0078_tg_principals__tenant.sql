-- A principal belongs to one tenant for good. Its claims, leases, sessions and audit trail are
-- kept per tenant, and its limits count what it holds in its own tenant: a principal moved by
-- hand would keep the old tenant's claims out of its new count (one claim per tenant against its
-- limit), and the old tenant's rows would name a principal it no longer has. Enabled always: a
-- load or repair under session_replication_role = replica cannot move one either.
create or replace function coord.tg_principals__tenant()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform coord.fail('CO305', format('principal %s belongs to tenant %s', old.id, old.tenant_id));
  return null;
end;
$$;

comment on function coord.tg_principals__tenant() is 'Trigger: refuses (CO305) moving a principal to another tenant.';
revoke all on function coord.tg_principals__tenant() from public;

create or replace trigger principals_tenant
  before update of tenant_id on coord.principals
  for each row when (old.tenant_id is distinct from new.tenant_id)
  execute function coord.tg_principals__tenant();
alter table coord.principals enable always trigger principals_tenant;
