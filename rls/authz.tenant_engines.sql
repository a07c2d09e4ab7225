alter table authz.tenant_engines enable row level security;
alter table authz.tenant_engines force row level security;

drop policy if exists tenant_engines_own_tenant on authz.tenant_engines;
create policy tenant_engines_own_tenant on authz.tenant_engines
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on authz.tenant_engines from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
