-- The claim floor of (p_tenant_id, p_kind): a sequence of the pool whose value no ready task of
-- the kind lies below, so the claim's scan of tasks_kind_ready_idx may start there and skip the
-- entries of tasks claimed before it (which a held snapshot keeps in the index). Null: the kind
-- has no floor (the pool is used up, or this claim just took one), scan from the front.
--
-- The floor moves up here, to the smallest id of a ready task of the kind (the first of each
-- priority), when the lock of the kind is free: no transaction that made a task of the kind
-- ready is in progress (coord.task_became_ready holds it shared to its end), and the tasks are
-- read after the lock is taken, so every such task that committed is seen. Tasks claimed by a
-- transaction still in progress read as queued here (its update is not visible), so a claim that
-- rolls back leaves its task at or above the floor. Only a transaction that has changed no task
-- moves it: its own claims, cancels or completions would read as done, and a rollback would
-- undo them (other writes, a session's row lock or a call counted by the gate, do not matter).
-- Read committed only: a transaction's snapshot may predate the lock.
create or replace function coord.advance_task_floor(p_tenant_id uuid, p_kind text)
returns regclass
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_floor regclass;
  v_key bigint := pg_catalog.hashtextextended('coord.task_floor/' || p_tenant_id::text || '/' || p_kind, 0);
  v_at bigint;
  v_next bigint;
  v_incarnation text := coord.task_floor_incarnation();
  v_locked boolean := false;
begin
  select f.floor into v_floor from coord.task_ready_floors as f
  where f.tenant_id = p_tenant_id and f.kind = p_kind and f.incarnation = v_incarnation;
  if v_floor is null then
    perform coord.take_task_floor(p_tenant_id, p_kind, v_incarnation);
    return null;  -- not usable before this transaction commits (task_became_ready cannot see it yet)
  end if;
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    return v_floor;
  end if;
  -- Has this transaction changed a task? The trigger's marker says yes cheaply; a client can set
  -- or clear that parameter, so "no" is only believed with no write lock on coord.tasks held
  -- (coord.transaction_changed_tasks).
  if pg_catalog.pg_current_xact_id_if_assigned() is not null
     and (pg_catalog.current_setting('coord.tasks_changed', true) = 'on'
          or coord.transaction_changed_tasks()) then
    return v_floor;
  end if;
  -- A session lock outlives the transaction: taken and released inside the block, so that a
  -- cancel handled anywhere after the try-lock (statement_timeout) reaches the handler.
  begin
    v_locked := pg_catalog.pg_try_advisory_lock(v_key);  -- one statement: no cancel between
    if not v_locked then
      return v_floor;
    end if;
    v_at := coalesce(pg_catalog.pg_sequence_last_value(v_floor), 0);  -- under the lock: a reset is seen
    with recursive firsts (priority, id) as (
      (select t.priority, t.id
       from coord.tasks as t
       where t.tenant_id = p_tenant_id and t.kind = p_kind and t.state = 'queued' and t.pending_deps = 0 and t.id >= v_at
       order by t.priority desc, t.id
       limit 1)
      union all
      select n.priority, n.id
      from firsts as b
      cross join lateral (
        select t.priority, t.id
        from coord.tasks as t
        where t.tenant_id = p_tenant_id and t.kind = p_kind and t.state = 'queued' and t.pending_deps = 0 and t.id >= v_at
          and t.priority < b.priority
        order by t.priority desc, t.id
        limit 1) as n
    )
    select min(f.id) into v_next from firsts as f;
    -- None ready: past every id given out so far; a task given an id before this but made ready
    -- after it resets the floor (task_became_ready).
    v_next := coalesce(v_next, pg_catalog.pg_sequence_last_value('coord.tasks_id_seq'::regclass) + 1, 0);
    if v_next > v_at then
      v_at := pg_catalog.setval(v_floor, v_next);  -- assigned: an expression, not a query
    end if;
    v_locked := not pg_catalog.pg_advisory_unlock(v_key);
  exception when others or query_canceled then
    if v_locked then
      perform pg_catalog.pg_advisory_unlock(v_key);
    end if;
    raise;
  end;
  return v_floor;
end;
$$;

comment on function coord.advance_task_floor(uuid, text) is 'The claim floor sequence of (p_tenant_id, p_kind) (null: none), moved up to the smallest ready id of the kind when no transaction that made one of its tasks ready is in progress and this one has changed no task (docs/benchmarks.md, "A held snapshot while the queue runs").';
revoke all on function coord.advance_task_floor(uuid, text) from public;
