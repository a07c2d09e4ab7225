alter table coord.task_dependencies enable row level security;
alter table coord.task_dependencies force row level security;

drop policy if exists task_dependencies_own_tenant on coord.task_dependencies;
create policy task_dependencies_own_tenant on coord.task_dependencies
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.task_dependencies from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
