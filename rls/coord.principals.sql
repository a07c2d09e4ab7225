alter table coord.principals enable row level security;
alter table coord.principals force row level security;

drop policy if exists principals_own_tenant on coord.principals;
create policy principals_own_tenant on coord.principals
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.principals from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (tenant_id, id, kind, role, name, disabled_at) on coord.principals to coord_auth;
