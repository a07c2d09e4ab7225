alter table coord.tasks enable row level security;
alter table coord.tasks force row level security;

drop policy if exists tasks_own_tenant on coord.tasks;
create policy tasks_own_tenant on coord.tasks
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.tasks from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
