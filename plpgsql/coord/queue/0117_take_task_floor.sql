-- coord:owner coord_auth
-- A (tenant, kind) takes a claim floor of the pool, at 0: one that no row names first, else one
-- that only a row of an earlier server run or database names (that row is removed); none left:
-- no floor; at most 8 floors per tenant in a server run. The pool is shared by every tenant, so this reads every tenant's rows (coord_auth,
-- BYPASSRLS) and writes only the caller's row and rows no current floor uses. One transaction
-- at a time, and never waiting: an insert that met another's uncommitted row would wait for that
-- claim's transaction (a new way for claims to block each other).
create or replace function coord.take_task_floor(p_tenant_id uuid, p_kind text, p_incarnation text)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_floor regclass;
begin
  if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('coord.task_floor/pool', 0)) then
    return;
  end if;
  -- A floor is not given back in a server run: without a quota one tenant could take them all.
  if (select count(*) from coord.task_ready_floors as u
      where u.tenant_id = p_tenant_id and u.incarnation = p_incarnation and u.kind <> p_kind) >= 8 then
    return;
  end if;
  select s.floor into v_floor
  from pg_catalog.generate_series(1, 64) as n (i)
  cross join lateral (select pg_catalog.to_regclass('coord.task_ready_floor_' || n.i) as floor) as s
  where s.floor is not null
    and not exists (select from coord.task_ready_floors as u where u.floor = s.floor and u.incarnation = p_incarnation)
  order by exists (select from coord.task_ready_floors as u where u.floor = s.floor), n.i
  limit 1;
  if v_floor is null then
    return;
  end if;
  delete from coord.task_ready_floors as f
  where (f.floor = v_floor and f.incarnation <> p_incarnation) or (f.tenant_id = p_tenant_id and f.kind = p_kind);
  insert into coord.task_ready_floors (tenant_id, kind, floor, incarnation) values (p_tenant_id, p_kind, v_floor, p_incarnation);
  perform pg_catalog.setval(v_floor, 0);
end;
$$;

comment on function coord.take_task_floor(uuid, text, text) is 'Gives (p_tenant_id, p_kind) a claim floor of the pool at 0 for incarnation p_incarnation, if one is free of this incarnation, the tenant holds fewer than 8 of it and no other transaction is taking one (never waits); reads every tenant''s floors (coord_auth).';
revoke all on function coord.take_task_floor(uuid, text, text) from public;
grant execute on function coord.take_task_floor(uuid, text, text) to coord_owner;
