-- coord:owner coord_auth
-- The NOTIFY channel of a tenant's fleet changes. LISTEN needs no privilege and hears every
-- payload sent on a channel, so the name must be secret to the tenant: it is derived from the
-- tenant's random task channel (coord.tenants.task_channel, never from its id) by a one-way hash,
-- so knowing the fleet channel does not reveal the task channel. Owned by coord_auth (BYPASSRLS):
-- the triggers that need it also fire where no caller is vouched (alerts raised by the loopback).
create or replace function coord.fleet_channel(p_tenant_id uuid)
returns text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select 'coord_fleet_' || pg_catalog.md5('fleet:' || n.task_channel) from coord.tenants as n where n.id = p_tenant_id;
$$;

comment on function coord.fleet_channel(uuid) is 'LISTEN channel on which changes to the tenant''s leases, tasks, sessions and alerts are announced: a one-way hash of its random task channel, told by api.fleet_status.';
revoke all on function coord.fleet_channel(uuid) from public;
grant execute on function coord.fleet_channel(uuid) to coord_owner;
