-- Before a batch of leases is decided path by path, take every advisory lock the decisions
-- will take (coord.try_acquire_lock: shared on each enclosing directory, exclusive on each
-- path's own node) at once, in one global order: by depth, then by name. A single acquire
-- takes its locks shallow to deep, which is the same order, so batches and single calls over
-- overlapping paths wait for each other but never deadlock. Then the lease rows the decisions
-- will lock (every lease covering a path or below it) are locked in id order, the order every
-- other statement locks lease rows in. The attempts that follow find everything held already.
create or replace function coord.serialize_lease_batch(p_tenant_id uuid, p_repository text, p_paths text[])
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set lock_timeout = '2s'  -- as in coord.try_acquire_lock: an uncommitted overlapping request holds us up at most 2 s
as $$
declare
  v_key record;
begin
  for v_key in
    select k.node, pg_catalog.bool_or(k.exclusive) as exclusive
    from (select case when pg_catalog.right(p, 1) = '/' then pg_catalog.left(p, -1) else p end as node, true as exclusive
          from pg_catalog.unnest(p_paths) as p
          union all
          select pg_catalog.left(a, -1), false
          from pg_catalog.unnest(p_paths) as p, pg_catalog.unnest(coord.path_ancestors(p)) as a) as k
    group by k.node
    order by pg_catalog.array_length(pg_catalog.string_to_array(k.node, '/'), 1), k.node collate "C"
  loop
    if v_key.exclusive then
      perform pg_catalog.pg_advisory_xact_lock(coord.lock_key(p_tenant_id, p_repository, v_key.node));
    else
      perform pg_catalog.pg_advisory_xact_lock_shared(coord.lock_key(p_tenant_id, p_repository, v_key.node));
    end if;
  end loop;

  perform
  from coord.locks as l
  where l.tenant_id = p_tenant_id and l.repository = p_repository
    and l.id in (select x.id
                 from pg_catalog.unnest(p_paths) as p
                 cross join lateral (
                   select y.id from coord.locks as y
                   where y.tenant_id = p_tenant_id and y.repository = p_repository
                     and (y.path = any (coord.covering_paths(p))
                          or (y.path >= pg_catalog.rtrim(p, '/') || '/' and y.path < pg_catalog.rtrim(p, '/') || '0'))) as x)
  order by l.id
  for update of l;
end;
$$;

comment on function coord.serialize_lease_batch(uuid, text, text[]) is 'Takes the advisory locks coord.try_acquire_lock takes for every path of a batch at once (by depth, then name: the order a single acquire takes its own in), then locks the lease rows covering or below the paths in id order; so a batch never deadlocks with another batch or a single acquire.';
revoke all on function coord.serialize_lease_batch(uuid, text, text[]) from public;
