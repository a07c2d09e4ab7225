-- A wake-up hint for the tenant's event followers: NOTIFY on the tenant's secret channel with
-- the writing transaction's id (no content; identical payloads of one transaction fold into
-- one, delivered at commit). audit.record calls it only while the tenant has followers
-- (coord.event_followers) or a follower is registering (the follow lock), so writers of
-- a tenant nobody follows never pay NOTIFY's commit-time serialization.
create or replace function audit.announce_events(p_tenant_id uuid)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify(coord.events_channel(p_tenant_id), pg_catalog.pg_current_xact_id()::text);
end;
$$;

comment on function audit.announce_events(uuid) is 'NOTIFY the tenant''s events channel (coord.events_channel) with the current transaction id: a hint for followers to read api.events_since again.';
revoke all on function audit.announce_events(uuid) from public;
grant execute on function audit.announce_events(uuid) to coord_owner, coord_auth;
