alter table authz.cedar_policies enable row level security;
alter table authz.cedar_policies force row level security;

drop policy if exists cedar_policies_own_tenant on authz.cedar_policies;
create policy cedar_policies_own_tenant on authz.cedar_policies
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on authz.cedar_policies from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
