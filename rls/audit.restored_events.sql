-- Restored archives are written by coord audit restore (admin path) and read by auditors of
-- the tenant through api.query_restored_audit; never changed.
alter table audit.restored_events enable row level security;
alter table audit.restored_events force row level security;

drop policy if exists restored_events_read_own_tenant on audit.restored_events;
create policy restored_events_read_own_tenant on audit.restored_events
  for select to coord_owner
  using (tenant_id = (select coord.current_tenant_id()));

revoke all on audit.restored_events from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
revoke update, delete, truncate on audit.restored_events from coord_owner;
