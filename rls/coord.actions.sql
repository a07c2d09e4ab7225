alter table coord.actions enable row level security;
alter table coord.actions force row level security;

drop policy if exists actions_own_tenant on coord.actions;
create policy actions_own_tenant on coord.actions
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.actions from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
