-- Bound logins are created and removed on the admin path (superusers); owner functions only
-- read the caller's tenant's ones (drift checks). coord_auth reads which tenant a login is
-- bound to, before any tenant is known (api.authenticate).
alter table coord.logins enable row level security;
alter table coord.logins force row level security;

drop policy if exists logins_read_own_tenant on coord.logins;
create policy logins_read_own_tenant on coord.logins
  for select to coord_owner
  using (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.logins from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (tenant_id, role_name) on coord.logins to coord_auth;
