-- coord:owner coord_auth
-- A (tenant, kind) takes a claim floor of the pool, at 0: one that no row names first, else one
-- that only a row of an earlier server run or database names (that row is removed); none left:
-- no floor; at most 8 floors per tenant in a server run. The pool is shared by every tenant, so
-- this reads every tenant's rows (coord_auth, BYPASSRLS) and writes only the caller's row and
-- rows no current floor uses. Never waiting: an insert or delete that met another's uncommitted
-- row would wait for that claim's transaction (a new way for claims to block each other). The
-- try-locks are held to the end of the taking transaction, and none is the whole pool's (a
-- transaction left open would keep every tenant from taking a floor): one per tenant (its quota
-- and its own current row) and one per floor (a row is removed or written only under its
-- floor's; a floor another transaction is taking is passed over).
create or replace function coord.take_task_floor(p_tenant_id uuid, p_kind text, p_incarnation text)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_floor regclass;
  v_candidate regclass;
  v_old regclass;
  v_old_incarnation text;
begin
  if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('coord.task_floor/tenant/' || p_tenant_id::text, 0)) then
    return;
  end if;
  -- Read after the lock: a take of this (tenant, kind) may have committed since the caller looked.
  select f.floor, f.incarnation into v_old, v_old_incarnation
  from coord.task_ready_floors as f where f.tenant_id = p_tenant_id and f.kind = p_kind;
  if v_old_incarnation = p_incarnation then
    return;
  end if;
  -- A floor is not given back in a server run: without a quota one tenant could take them all.
  if (select count(*) from coord.task_ready_floors as u
      where u.tenant_id = p_tenant_id and u.incarnation = p_incarnation and u.kind <> p_kind) >= 8 then
    return;
  end if;
  -- The kind's row of an earlier run is removed under its floor's lock.
  if v_old is not null
     and not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('coord.task_floor/pool/' || v_old::oid::text, 0)) then
    return;
  end if;
  for v_candidate in
    select s.floor
    from pg_catalog.generate_series(1, 64) as n (i)
    cross join lateral (select pg_catalog.to_regclass('coord.task_ready_floor_' || n.i) as floor) as s
    where s.floor is not null
      and not exists (select from coord.task_ready_floors as u where u.floor = s.floor and u.incarnation = p_incarnation)
    order by exists (select from coord.task_ready_floors as u where u.floor = s.floor), n.i
  loop
    -- Locked, then read again: a take of it may have committed since the list was read.
    if (v_candidate = v_old
        or pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('coord.task_floor/pool/' || v_candidate::oid::text, 0)))
       and not exists (select from coord.task_ready_floors as u where u.floor = v_candidate and u.incarnation = p_incarnation) then
      v_floor := v_candidate;
      exit;
    end if;
  end loop;
  if v_floor is null then
    return;
  end if;
  delete from coord.task_ready_floors as f
  where (f.floor = v_floor and f.incarnation <> p_incarnation) or (f.tenant_id = p_tenant_id and f.kind = p_kind);
  insert into coord.task_ready_floors (tenant_id, kind, floor, incarnation) values (p_tenant_id, p_kind, v_floor, p_incarnation);
  perform pg_catalog.setval(v_floor, 0);
end;
$$;

comment on function coord.take_task_floor(uuid, text, text) is 'Gives (p_tenant_id, p_kind) a claim floor of the pool at 0 for incarnation p_incarnation, unless it holds one of it, if one is free of this incarnation and the tenant holds fewer than 8 of it; never waits (try-locks per tenant and per floor: no transaction keeps another tenant from taking one); reads every tenant''s floors (coord_auth).';
revoke all on function coord.take_task_floor(uuid, text, text) from public;
grant execute on function coord.take_task_floor(uuid, text, text) to coord_owner;
