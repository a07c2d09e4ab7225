alter table coord.profiles enable row level security;
alter table coord.profiles force row level security;

drop policy if exists profiles_own_tenant on coord.profiles;
create policy profiles_own_tenant on coord.profiles
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.profiles from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
