-- Written by coord.check_logins for the tenant it checks (api.maintain: the caller's tenant).
alter table coord.login_drift enable row level security;
alter table coord.login_drift force row level security;

drop policy if exists login_drift_own_tenant on coord.login_drift;
create policy login_drift_own_tenant on coord.login_drift
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.login_drift from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
