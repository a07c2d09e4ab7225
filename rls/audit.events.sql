-- Append and read inside the caller's tenant; no UPDATE or DELETE policy exists, and
-- audit.protect_table adds triggers that refuse them even for superusers.
alter table audit.events enable row level security;
alter table audit.events force row level security;

drop policy if exists events_read_own_tenant on audit.events;
create policy events_read_own_tenant on audit.events
  for select to coord_owner
  using (tenant_id = (select coord.current_tenant_id()));

drop policy if exists events_append_own_tenant on audit.events;
create policy events_append_own_tenant on audit.events
  for insert to coord_owner
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on audit.events from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
revoke update, delete, truncate on audit.events from coord_owner;

-- Alerts (issue 4 §5): the trigger that raises alerts and the revoked-token loopback are
-- owned by coord_auth (BYPASSRLS) and append events for the event's tenant.
grant select, insert on audit.events to coord_auth;
grant usage on sequence audit.events_id_seq to coord_auth;
