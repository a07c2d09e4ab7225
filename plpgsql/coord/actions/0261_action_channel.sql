-- The NOTIFY channel of one target's actions. LISTEN needs no privilege, so the name is a
-- one-way hash of the tenant's secret fleet channel and the target's id: told to the target
-- (claim_action, when nothing is claimable), it reveals nothing about others.
create or replace function coord.action_channel(p_tenant_id uuid, p_target_id uuid)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select 'coord_action_' || pg_catalog.md5('action:' || coord.fleet_channel(p_tenant_id) || ':' || p_target_id);
$$;

comment on function coord.action_channel(uuid, uuid) is 'LISTEN channel on which a target hears that an action for it was approved (or is claimable again); payload: the action id.';
revoke all on function coord.action_channel(uuid, uuid) from public;
