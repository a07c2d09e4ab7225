-- Registers this connection as a waiting claimer of the tenant (p_waiting) or ends that: the
-- registry is the 'waiting' advisory lock (coord.task_wait_key) held shared at session level, so
-- a claimer that disconnects stops waiting with it. Only a connection that LISTENs on the
-- tenant's task channel waits: one that does not (a pooled connection of PostgREST or the MCP
-- server, a psql user who forgot LISTEN) could not hear an announcement, and registered it would
-- have every ready task of the tenant announced for the life of the connection; so it is not
-- registered, and a registration it holds ends (it UNLISTENed). pg_listening_channels shows a
-- LISTEN once its transaction commits: LISTEN first (autocommit), then claim. Registering then
-- passes the gate: writers that made a task ready while nobody waited (and so sent nothing)
-- commit first, and the claim that follows sees their tasks. Bounded by lock_timeout: should
-- the gate stay taken (a long transaction), the claim goes ahead and the waiter's timer finds
-- the rest.
--
-- A cancel (statement_timeout, pg_cancel_backend) may land between any two statements, and a
-- session lock outlives the transaction it aborts. So the lock itself is the only record of the
-- registration (coord.holds_advisory_shared; a session setting would be undone with the transaction while
-- the lock stays, and a second take would outlive the unregistration: locks count), it is taken
-- only when not held, and the gate is passed at transaction level inside a block that always
-- rolls back, which releases it at once.
create or replace function coord.await_tasks(p_tenant_id uuid, p_waiting boolean)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set lock_timeout = '10s'
as $$
declare
  v_channel text := coord.task_channel(p_tenant_id);
  v_waiting bigint := coord.task_wait_key(v_channel, 'waiting');
  v_gate bigint := coord.task_wait_key(v_channel, 'gate');
  v_registered boolean;
  v_listening boolean := v_channel in (select c from pg_catalog.pg_listening_channels() as c);
begin
  v_registered := coord.holds_advisory_shared(v_waiting);
  if not p_waiting or not v_listening then
    if v_registered then
      perform pg_catalog.pg_advisory_unlock_shared(v_waiting);
    end if;
    return;
  end if;
  if not v_registered then
    begin
      perform pg_catalog.pg_advisory_lock_shared(v_waiting);
    exception when lock_not_available then
      return;  -- a writer checking holds it for a moment; a stale holder makes writers announce anyway
    end;
  end if;
  begin
    perform pg_catalog.pg_advisory_xact_lock(v_gate);
    raise exception using errcode = 'CO900';  -- roll back the block: the gate's lock with it
  exception when sqlstate 'CO900' or lock_not_available then
    null;
  end;
end;
$$;

comment on function coord.await_tasks(uuid, boolean) is 'Registers this connection as a waiting claimer of the tenant, so that tasks becoming ready are announced on its task channel, and waits for the writers that found nobody waiting to commit (p_waiting, on a connection that LISTENs on the channel: pg_listening_channels); or ends the registration (not p_waiting, or the connection does not LISTEN there).';
revoke all on function coord.await_tasks(uuid, boolean) from public;
