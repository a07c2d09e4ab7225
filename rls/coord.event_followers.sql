-- Followers are registered by api.follow_events inside the caller's tenant (api functions run as
-- coord_owner). coord.has_event_followers (owned by coord_auth, BYPASSRLS) reads whether the tenant of
-- an event has one (audit.wake_followers asks); the loopback announces without looking.
alter table coord.event_followers enable row level security;
alter table coord.event_followers force row level security;

drop policy if exists event_followers_read on coord.event_followers;
drop policy if exists event_followers_own_tenant on coord.event_followers;
create policy event_followers_own_tenant on coord.event_followers
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.event_followers from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (tenant_id) on coord.event_followers to coord_auth;
