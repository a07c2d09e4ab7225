-- Alerts are listed and resolved through the api inside the caller's tenant; they are raised
-- by the trigger on audit.events (owned by coord_auth, BYPASSRLS) for the event's tenant.
alter table coord.alerts enable row level security;
alter table coord.alerts force row level security;

drop policy if exists alerts_read_own_tenant on coord.alerts;
create policy alerts_read_own_tenant on coord.alerts
  for select to coord_owner
  using (tenant_id = (select coord.current_tenant_id()));

drop policy if exists alerts_resolve_own_tenant on coord.alerts;
create policy alerts_resolve_own_tenant on coord.alerts
  for update to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.alerts from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor, coord_loopback;
-- Alerts come only from the trigger: the owner (and so every api function) may not insert one.
revoke insert on coord.alerts from coord_owner;
grant select on coord.alerts to coord_auth;
grant insert (tenant_id, rule_id, actor_type, actor_id, actor_name, severity, event_count, first_event_id,
              last_event_id, first_event_at, last_event_at, raised_at) on coord.alerts to coord_auth;
grant update (event_count, last_event_id, last_event_at) on coord.alerts to coord_auth;
