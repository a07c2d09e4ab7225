-- A task became ready (inserted ready, its last dependency completed, a retry, an expired or
-- session-lost claim going back, a redrive): the kind's claim floor (coord.advance_task_floor)
-- must not lie above it. The lock is shared with every other such task and held until this
-- transaction ends; a floor moves up only under the same lock taken exclusively, reading the
-- tasks after it has it, so it either sees this task (committed) or waits for this check. A
-- floor above the task is reset to 0 rather than lowered to its id: two resets commute, two
-- lowerings racing would not (the later could write the larger id). Outside read committed the
-- snapshot may not show the kind's floor row, so every floor of the pool above the task is reset.
create or replace function coord.task_became_ready(p_tenant_id uuid, p_kind text, p_id bigint)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_floor regclass;
  v_done text;  -- assigned, not PERFORMed: an expression, not a query through the executor
begin
  v_done := pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtextextended('coord.task_floor/' || p_tenant_id::text || '/' || p_kind, 0));
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    -- The snapshot may predate the kind's floor row: reset every floor of the pool above the
    -- task. setval ignores snapshots, and a floor at 0 is always right (a reset only costs the
    -- other kinds a walk from the front until their next claim moves them up).
    perform pg_catalog.setval(s.floor, 0)
    from pg_catalog.generate_series(1, 64) as n (i)
    cross join lateral (select pg_catalog.to_regclass('coord.task_ready_floor_' || n.i) as floor) as s
    where s.floor is not null and coalesce(pg_catalog.pg_sequence_last_value(s.floor), 0) > p_id;
    return;
  end if;
  select f.floor into v_floor from coord.task_ready_floors as f
  where f.tenant_id = p_tenant_id and f.kind = p_kind and f.incarnation = coord.task_floor_incarnation();
  if v_floor is not null and coalesce(pg_catalog.pg_sequence_last_value(v_floor), 0) > p_id then
    v_done := pg_catalog.setval(v_floor, 0);
  end if;
end;
$$;

comment on function coord.task_became_ready(uuid, text, bigint) is 'Called when task p_id of (p_tenant_id, p_kind) becomes ready: holds the kind''s floor lock (shared) to the end of the transaction and resets the kind''s claim floor to 0 if it lies above p_id (outside read committed: every floor of the pool above p_id).';
revoke all on function coord.task_became_ready(uuid, text, bigint) from public;
