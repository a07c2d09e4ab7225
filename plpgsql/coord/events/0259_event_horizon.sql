-- coord:owner coord_auth
-- The tenant's visibility horizon: events below it (in (txid, id) order) are final. It is the
-- smallest transaction still running in the current snapshot that may write the tenant's events,
-- or the snapshot's xmax when none may. A running transaction may be passed only when it has
-- declared itself a writer of other tenants (audit.declare_event_writer: their keys, not this
-- one's); one that declared nothing yet, declared this tenant, or ended after the snapshot was
-- taken (its events are not in it) holds the horizon. If such a transaction later writes this
-- tenant's events, audit.declare_event_writer gives them a position past every horizon handed
-- out, so resuming after the last event received still misses nothing. pg_locks is read once,
-- after the snapshot was taken (declared stable so that it runs on the caller's snapshot).
create or replace function coord.event_horizon(p_tenant_id uuid)
returns xid8
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  with snapshot as (
    select pg_catalog.pg_current_snapshot() as snap
  ), locks as materialized (
    select l.locktype, l.classid, l.objid, l.transactionid, l.pid
    from pg_catalog.pg_locks as l
    where l.granted and (l.locktype = 'transactionid'
                         or (l.locktype = 'advisory' and l.objsubid = 2 and l.classid in (1131376500, 1131376501)))
  ), writers as (
    select w.pid, pg_catalog.bool_or(w.classid = 1131376501 or w.objid = pg_catalog.hashtext(p_tenant_id::text)::oid) as mine
    from locks as w
    where w.locktype = 'advisory'
    group by w.pid
  ), others as (
    select x.transactionid from locks as x join writers as w on w.pid = x.pid
    where x.locktype = 'transactionid' and not w.mine
  )
  select coalesce(
    (select r.xid from snapshot as s, pg_catalog.pg_snapshot_xip(s.snap) as r (xid)
     where not exists (select from others as o where o.transactionid = pg_catalog.xid(r.xid))
     order by r.xid limit 1),
    (select pg_catalog.pg_snapshot_xmax(s.snap) from snapshot as s));
$$;

comment on function coord.event_horizon(uuid) is 'The tenant''s event visibility horizon: the oldest transaction running in the current snapshot that may write the tenant''s events (not one declared a writer of other tenants only), else the snapshot''s xmax; events of transactions below it are final.';
revoke all on function coord.event_horizon(uuid) from public;
grant execute on function coord.event_horizon(uuid) to coord_owner;
