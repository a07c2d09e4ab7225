alter table coord.locks enable row level security;
alter table coord.locks force row level security;

drop policy if exists locks_own_tenant on coord.locks;
create policy locks_own_tenant on coord.locks
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.locks from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
