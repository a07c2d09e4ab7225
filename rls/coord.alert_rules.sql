-- Alert rules are read and changed only through the api, inside the caller's tenant. The
-- trigger that raises alerts (owned by coord_auth, BYPASSRLS) reads them for the event's tenant.
alter table coord.alert_rules enable row level security;
alter table coord.alert_rules force row level security;

drop policy if exists alert_rules_own_tenant on coord.alert_rules;
create policy alert_rules_own_tenant on coord.alert_rules
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.alert_rules from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor, coord_loopback;
grant select (tenant_id, id, name, decisions, threshold, within, severity, enabled, action_like) on coord.alert_rules to coord_auth;
