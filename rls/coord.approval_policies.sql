alter table coord.approval_policies enable row level security;
alter table coord.approval_policies force row level security;

drop policy if exists approval_policies_own_tenant on coord.approval_policies;
create policy approval_policies_own_tenant on coord.approval_policies
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.approval_policies from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
