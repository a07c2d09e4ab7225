-- coord:owner coord_auth
-- The NOTIFY channel of a tenant's event stream. LISTEN needs no privilege and hears every
-- payload sent on a channel, so the name must be secret to the tenant: a one-way hash of the
-- tenant's random task channel (as coord.fleet_channel). Owned by coord_auth (BYPASSRLS): events
-- are also written where no caller is vouched (the loopback, system sweeps).
create or replace function coord.events_channel(p_tenant_id uuid)
returns text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select 'coord_events_' || pg_catalog.md5('events:' || n.task_channel) from coord.tenants as n where n.id = p_tenant_id;
$$;

comment on function coord.events_channel(uuid) is 'LISTEN channel on which the tenant''s new events are announced while it has followers (payload: the writing transaction''s id, no content); told by api.follow_events.';
revoke all on function coord.events_channel(uuid) from public;
grant execute on function coord.events_channel(uuid) to coord_owner;
