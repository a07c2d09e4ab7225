alter table coord.skills enable row level security;
alter table coord.skills force row level security;

drop policy if exists skills_own_tenant on coord.skills;
create policy skills_own_tenant on coord.skills
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.skills from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
