alter table coord.tenants enable row level security;
alter table coord.tenants force row level security;

drop policy if exists tenants_own_tenant on coord.tenants;
create policy tenants_own_tenant on coord.tenants
  for all to coord_owner
  using (id = (select coord.current_tenant_id()))
  with check (id = (select coord.current_tenant_id()));

revoke all on coord.tenants from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (id, name, disabled_at) on coord.tenants to coord_auth;
grant select (task_channel) on coord.tenants to coord_auth;  -- coord.fleet_channel derives the fleet channel from it
