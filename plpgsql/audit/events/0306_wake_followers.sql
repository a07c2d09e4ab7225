-- Wake the tenant's event followers after writing its events, if it has any. The tenant's follow
-- lock (the same key in api.follow_events) is taken shared first and held to commit: a follower
-- registering takes it exclusively, so a writer that finds no follower either holds it (the
-- registration waits until this commits, and the follower's first read sees the events) or
-- failed to take it (and announces).
-- Once per transaction and tenant: the answer is kept in coord.events_woken (local to the
-- transaction, undone with a savepoint rolled back, as the lock and the NOTIFY are), and a later
-- call for the same tenant returns it without looking again: the lock is still held, and a
-- second NOTIFY would fold into the first. audit.record tests the same setting before calling.
-- The follower probe is coord.has_event_followers (BYPASSRLS: no RLS initplan), so the test
-- below is a plain expression, not a query.
create or replace function audit.wake_followers(p_tenant_id uuid)
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_woken text := pg_catalog.current_setting('coord.events_woken', true);
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  if p_tenant_id is null then
    return false;
  end if;
  if v_woken is not null and pg_catalog.starts_with(v_woken, p_tenant_id::text || '|') then
    return v_woken = p_tenant_id::text || '|t';
  end if;
  if not pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtextextended('coord_events:' || p_tenant_id::text, 0))
     or coord.has_event_followers(p_tenant_id) then
    perform audit.announce_events(p_tenant_id);
    v_set := pg_catalog.set_config('coord.events_woken', p_tenant_id::text || '|t', true);
    return true;
  end if;
  v_set := pg_catalog.set_config('coord.events_woken', p_tenant_id::text || '|f', true);
  return false;
end;
$$;

comment on function audit.wake_followers(uuid) is 'After writing a tenant''s audit events: takes the tenant''s follow lock shared (held to commit) and announces the events (audit.announce_events) when a follower is registering or registered (coord.has_event_followers); once per transaction and tenant (coord.events_woken keeps the answer). Returns whether the transaction announced.';
revoke all on function audit.wake_followers(uuid) from public;
