-- Moves the claim floor p_floor of (p_tenant_id, p_kind): a sequence of the pool whose value no
-- ready task of the kind lies below, so the claim's scan of tasks_kind_ready_idx may start there
-- and skip the entries of tasks claimed before it (which a held snapshot keeps in the index).
-- Called by coord.claim_tasks_as after its candidate scan, before it changes a task, and only
-- when the floor lags the scan's first candidate by more than coord.task_floor_lag ids (so the
-- floor's lock, its subtransaction and the walk below are paid once per that many claims, unless
-- a ready task the claims pass over holds the floor down).
--
-- The floor moves up here, to the smallest id of a ready task of the kind (the first of each
-- priority), when the lock of the kind is free: no transaction that made a task of the kind
-- ready is in progress (coord.task_became_ready holds it shared to its end), and the tasks are
-- read after the lock is taken, so every such task that committed is seen. Tasks claimed by a
-- transaction still in progress read as queued here (its update is not visible), so a claim that
-- rolls back leaves its task at or above the floor; so do the rows the calling claim has only
-- locked (FOR UPDATE changes no task). Only a transaction that has changed no task moves it: its
-- own claims, cancels or completions would read as done, and a rollback would undo them (other
-- writes, a session's row lock, a call counted by the gate or a row lock on a task, do not
-- matter). Read committed only: a transaction's snapshot may predate the lock.
create or replace function coord.advance_task_floor(p_tenant_id uuid, p_kind text, p_floor regclass)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key bigint := pg_catalog.hashtextextended('coord.task_floor/' || p_tenant_id::text || '/' || p_kind, 0);
  v_at bigint;
  v_next bigint;
  v_locked boolean := false;
begin
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    return;
  end if;
  -- Has this transaction changed a task, or taken this floor (its row is not committed: a task
  -- made ready elsewhere meanwhile cannot reset it)? The trigger's marker says a task changed
  -- cheaply; a client can set or clear that parameter, so "no" is only believed with no write
  -- lock on coord.tasks or coord.task_ready_floors held (coord.transaction_changed_tasks).
  if pg_catalog.pg_current_xact_id_if_assigned() is not null
     and (pg_catalog.current_setting('coord.tasks_changed', true) = 'on'
          or coord.transaction_changed_tasks()) then
    return;
  end if;
  -- A session lock outlives the transaction: taken and released inside the block, so that a
  -- cancel handled anywhere after the try-lock (statement_timeout) reaches the handler.
  begin
    v_locked := pg_catalog.pg_try_advisory_lock(v_key);  -- one statement: no cancel between
    if not v_locked then
      return;
    end if;
    v_at := coalesce(pg_catalog.pg_sequence_last_value(p_floor), 0);  -- under the lock: a reset is seen
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
      v_at := pg_catalog.setval(p_floor, v_next);  -- assigned: an expression, not a query
    end if;
    v_locked := not pg_catalog.pg_advisory_unlock(v_key);
  exception when others or query_canceled then
    if v_locked then
      perform pg_catalog.pg_advisory_unlock(v_key);
    end if;
    raise;
  end;
end;
$$;

comment on function coord.advance_task_floor(uuid, text, regclass) is 'Moves the claim floor sequence p_floor of (p_tenant_id, p_kind) up to the smallest ready id of the kind when no transaction that made one of its tasks ready is in progress and this one has changed no task; called by a claim when the floor lags its first candidate by more than coord.task_floor_lag (docs/benchmarks.md, "A held snapshot while the queue runs").';
revoke all on function coord.advance_task_floor(uuid, text, regclass) from public;
