alter table coord.task_verifications enable row level security;
alter table coord.task_verifications force row level security;

drop policy if exists task_verifications_own_tenant on coord.task_verifications;
create policy task_verifications_own_tenant on coord.task_verifications
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.task_verifications from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
