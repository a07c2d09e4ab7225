-- Prepared transactions (PREPARE TRANSACTION; possible only when max_prepared_transactions > 0)
-- that hold back every tenant's event stream: a prepared transaction stays in progress, in every
-- snapshot of the cluster, until someone runs COMMIT PREPARED or ROLLBACK PREPARED, and the
-- visibility horizon (coord.event_horizon) never passes one (it has no backend whose keys could
-- show it writes none of the tenant's events). So followers (events_since, coord events
-- --follow, the webhook fan-out) get nothing committed after it, in any database of the server,
-- for as long as it is forgotten. Lists those prepared longer than p_older_than ago (coord.now(),
-- the test clock) with the statement that resolves each; coord maintain and coord status report
-- them. Admin path.
create or replace function coord.stream_holding_prepared(p_older_than interval default interval '5 minutes')
returns table (gid text, database name, owner name, prepared timestamptz, age interval, transaction xid,
               holds_stream boolean, resolve text)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select p.gid, p.database, p.owner, p.prepared, coord.now() - p.prepared, p.transaction,
         exists (select from pg_catalog.pg_snapshot_xip(pg_catalog.pg_current_snapshot()) as r (xid)
                 where pg_catalog.xid(r.xid) = p.transaction),
         format('connect to database %I as a superuser (or %I) and run COMMIT PREPARED %L or ROLLBACK PREPARED %L',
                p.database, p.owner, p.gid, p.gid)
  from pg_catalog.pg_prepared_xacts as p
  where p.prepared <= coord.now() - coalesce(p_older_than, interval '0 seconds')
  order by p.prepared, p.gid;
$$;

comment on function coord.stream_holding_prepared(interval) is 'Admin path (coord maintain, coord status): prepared transactions older than p_older_than (default 5 minutes, on coord.now()) in any database of the server; each holds back every tenant''s event stream until COMMIT PREPARED or ROLLBACK PREPARED (resolve says how).';
revoke all on function coord.stream_holding_prepared(interval) from public;
