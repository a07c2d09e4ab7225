-- Followers are registered by api.follow_events and read by audit.record (as whoever writes the
-- event: api functions run as coord_owner, the loopback and alert raising as coord_auth, which
-- bypasses RLS) inside the caller's tenant.
alter table coord.event_followers enable row level security;
alter table coord.event_followers force row level security;

-- Which backends follow which tenant is no tenant's content (a pid per row), and audit.record
-- must see the followers of the event's tenant also for system events written without a caller,
-- at the cost of one index probe: reading is open to the owner's code, writing stays in the tenant.
drop policy if exists event_followers_read on coord.event_followers;
create policy event_followers_read on coord.event_followers
  for select to coord_owner
  using (true);
drop policy if exists event_followers_own_tenant on coord.event_followers;
create policy event_followers_own_tenant on coord.event_followers
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.event_followers from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select, delete on coord.event_followers to coord_auth;
