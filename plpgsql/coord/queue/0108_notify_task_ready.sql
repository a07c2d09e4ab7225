-- Wake-up hint for waiting claimers: NOTIFY on the tenant's channel with the task's kind when a
-- task becomes claimable now (queued, no open dependencies, run_after passed), while a claimer
-- waits (coord.await_tasks). Delivered at commit, duplicates folded: at most once per
-- transaction, channel and kind. A hint only: waiters re-check on a timer as well, since a task
-- whose run_after lies in the future would otherwise go unnoticed.
-- Nobody waiting, nothing is sent: a transaction that notifies holds PostgreSQL's global notify
-- lock from its commit until its commit record is flushed, so notifying commits serialize
-- (docs/benchmarks.md). No wake-up is lost: this transaction holds the gate shared until it
-- commits, and a claimer that starts waiting after the check registers first and then passes
-- the gate, so its next claim runs after this commit and sees the task. A gate or waiting key
-- this cannot take at once (a claimer registering, another writer checking) means notify.
-- The waiting key is tried at transaction level inside a block that always rolls back, which
-- releases it at once: a session-level try and unlock could be split by a cancel
-- (statement_timeout), leaving the key held for the life of the connection and every claimer
-- of the tenant unable to register.
-- p_now: coord.now() when the caller has it already (the time the trigger just stamped on the row).
create or replace function coord.notify_task_ready(p_task coord.tasks, p_now timestamptz default null)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_channel text;
  v_waiting bigint;
  v_nobody boolean := false;
  v_done text;  -- assigned, not PERFORMed: an expression, not a query through the executor
begin
  if p_task.state = 'queued' and p_task.pending_deps = 0 and p_task.run_after <= coalesce(p_now, coord.now()) then
    v_channel := coord.task_channel(p_task.tenant_id);
    if pg_catalog.pg_try_advisory_xact_lock_shared(coord.task_wait_key(v_channel, 'gate')) then
      v_waiting := coord.task_wait_key(v_channel, 'waiting');
      begin
        v_nobody := pg_catalog.pg_try_advisory_xact_lock(v_waiting);
        raise exception using errcode = 'CO900';  -- roll back the block: the try's lock with it
      exception when sqlstate 'CO900' then
        null;
      end;
      if v_nobody then
        return;
      end if;
    end if;
    v_done := pg_catalog.pg_notify(v_channel, p_task.kind);
  end if;
end;
$$;

comment on function coord.notify_task_ready(coord.tasks, timestamptz) is 'NOTIFY coord.task_channel(tenant) with the kind when the task is claimable now (p_now: coord.now(), read when null) and a claimer waits (coord.await_tasks); a wake-up hint for claimers waiting on LISTEN.';
revoke all on function coord.notify_task_ready(coord.tasks, timestamptz) from public;
