alter table coord.call_counts enable row level security;
alter table coord.call_counts force row level security;

drop policy if exists call_counts_own_tenant on coord.call_counts;
create policy call_counts_own_tenant on coord.call_counts
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.call_counts from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
