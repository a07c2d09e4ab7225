-- coord:owner coord_auth
-- The tenant's visibility horizon: events below it (in (txid, id) order) are final. It is the
-- smallest transaction still running in the current snapshot that may write the tenant's events
-- below a horizon already handed out, or the snapshot's xmax when none may. Only two kinds may:
-- one that holds this tenant's event-writer key (audit.declare_event_tenant: it took the key
-- before it had an id, and its events take that id as their position) or the key every tenant
-- waits for; and one that ended after the snapshot was taken (its events are not in it, and
-- pg_locks no longer shows it: its own transactionid lock is gone). Every other running
-- transaction is passed: one that holds other tenants' keys, or none at all (an open transaction
-- that wrote no event, or whose key a rolled-back savepoint released). If such a transaction
-- later writes this tenant's events, audit.declare_event_writer gives them a position past every
-- horizon handed out (or, outside READ COMMITTED, refuses), so resuming after the last event
-- received still misses nothing, and another tenant's open transaction, whatever it did, never
-- holds this tenant's stream back. pg_locks is read once, after the snapshot was taken (declared
-- stable so that it runs on the caller's snapshot).
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
    select l.locktype, l.classid, l.objid, l.transactionid, l.pid, l.mode
    from pg_catalog.pg_locks as l
    where l.granted and (l.locktype = 'transactionid'
                         or (l.locktype = 'advisory' and l.objsubid = 2 and l.classid in (1131376500, 1131376501)))
  ), mine as (
    select distinct w.pid from locks as w
    where w.locktype = 'advisory' and (w.classid = 1131376501 or w.objid = pg_catalog.hashtext(p_tenant_id::text)::oid)
  ), others as (
    -- Running transactions (each holds the exclusive lock on its own id; a prepared one, with
    -- no backend, is never passed) that hold neither this tenant's key nor the common one.
    select x.transactionid from locks as x
    where x.locktype = 'transactionid' and x.mode = 'ExclusiveLock' and x.pid is not null
      and not exists (select from mine as m where m.pid = x.pid)
  )
  select coalesce(
    (select r.xid from snapshot as s, pg_catalog.pg_snapshot_xip(s.snap) as r (xid)
     where not exists (select from others as o where o.transactionid = pg_catalog.xid(r.xid))
     order by r.xid limit 1),
    (select pg_catalog.pg_snapshot_xmax(s.snap) from snapshot as s));
$$;

comment on function coord.event_horizon(uuid) is 'The tenant''s event visibility horizon: the oldest transaction in the current snapshot that holds the tenant''s (or the common) event-writer key or has ended since, else the snapshot''s xmax; events of transactions below it are final. Other running transactions (other tenants'' writers, transactions that declared no tenant) are passed: their later events of this tenant are positioned past it (audit.declare_event_writer).';
revoke all on function coord.event_horizon(uuid) from public;
grant execute on function coord.event_horizon(uuid) to coord_owner;
