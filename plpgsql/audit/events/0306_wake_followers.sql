-- Wake the tenant's event followers after writing its events, if it has any. The tenant's follow
-- lock (the same key in api.follow_events) is taken shared first and held to commit: a follower
-- registering takes it exclusively, so a writer that finds no follower either holds it (the
-- registration waits until this commits, and the follower's first read sees the events) or
-- failed to take it (and announces). One NOTIFY per transaction and tenant however often it is
-- called: PostgreSQL folds equal notifications. No memo of the answer in a custom setting: a
-- client sets any (set_config before its call), and a forged "looked already" skipped the lock
-- and the NOTIFY (tests/test_attack_gate.py).
-- The follower probe is coord.has_event_followers (BYPASSRLS: no RLS initplan), so the test
-- below is a plain expression, not a query.
create or replace function audit.wake_followers(p_tenant_id uuid)
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_tenant_id is null then
    return false;
  end if;
  if not pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtextextended('coord_events:' || p_tenant_id::text, 0))
     or coord.has_event_followers(p_tenant_id) then
    perform audit.announce_events(p_tenant_id);
    return true;
  end if;
  return false;
end;
$$;

comment on function audit.wake_followers(uuid) is 'After writing a tenant''s audit events: takes the tenant''s follow lock shared (held to commit) and announces the events (audit.announce_events) when a follower is registering or registered (coord.has_event_followers). Returns whether it announced.';
revoke all on function audit.wake_followers(uuid) from public;
