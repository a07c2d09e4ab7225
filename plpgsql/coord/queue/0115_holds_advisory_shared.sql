-- coord:owner coord_auth
-- Whether this session holds the advisory lock p_key (a bigint key) shared: coord.await_tasks
-- reads its registration as a waiting claimer from the lock itself. Reads pg_locks (coord_auth:
-- clients may not).
create or replace function coord.holds_advisory_shared(p_key bigint)
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select exists (
    select from pg_catalog.pg_locks as l
    where l.pid = pg_catalog.pg_backend_pid() and l.locktype = 'advisory' and l.objsubid = 1
      and l.classid = ((p_key >> 32) & 4294967295)::oid and l.objid = (p_key & 4294967295)::oid
      and l.mode = 'ShareLock' and l.granted
      and l.database = (select d.oid from pg_catalog.pg_database as d where d.datname = pg_catalog.current_database()));
$$;

comment on function coord.holds_advisory_shared(bigint) is 'True when this session holds the advisory lock of bigint key p_key shared (coord.await_tasks); reads pg_locks (coord_auth).';
revoke all on function coord.holds_advisory_shared(bigint) from public;
grant execute on function coord.holds_advisory_shared(bigint) to coord_owner;
