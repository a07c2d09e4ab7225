-- End one session and free what it holds: its leases are released and its claimed tasks go
-- back to the queue (or to dead) with a new claim needed. Per session, never per agent: the
-- agent's other sessions keep theirs. p_reason 'expired' (cleanup, a system action) only acts
-- on a session whose heartbeat is overdue; 'ended' is the agent's own end_session.
-- Returns null when there was nothing to do (or it could not get its locks at once).
create or replace function coord.cleanup_session(p_tenant_id uuid, p_session_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_session record;
  v_now timestamptz := coord.now();
  v_paths text[];
  v_task record;
  v_requeued bigint[] := '{}';
  v_dead bigint[] := '{}';
  v_summary jsonb;
  v_lock_timeout text;
begin
  -- Expiry cleanup runs on other callers' paths (acquire, claim, complete) that already hold
  -- locks in their own order; rather than risk a lock-order deadlock it gives up after a short
  -- wait (all of it rolled back) and leaves the session to the next caller or coord maintain.
  v_lock_timeout := pg_catalog.current_setting('lock_timeout');
  if p_reason = 'expired' then
    perform pg_catalog.set_config('lock_timeout', '100ms', true);
  end if;
  begin
  select s.id, s.agent_id, s.expires_at, s.ended_at, s.repository into v_session
  from coord.sessions as s
  where s.tenant_id = p_tenant_id and s.id = p_session_id
  for update;
  if not found or v_session.ended_at is not null
     or (p_reason = 'expired' and v_session.expires_at > v_now) then
    perform pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
    return null;
  end if;

  update coord.sessions set ended_at = v_now, end_reason = p_reason, status = 'offline'
  where id = p_session_id;
  -- Lock order: session, its tasks, then leases (as heartbeat and complete_task do).
  perform 1 from coord.tasks as t
  where t.tenant_id = p_tenant_id and t.claimed_session_id = p_session_id and t.state = 'claimed'
  order by t.id
  for update;

  with released as (
    delete from coord.locks as l
    where l.id in (select x.id from coord.locks as x
                   where x.tenant_id = p_tenant_id and x.session_id = p_session_id
                   order by x.id for update)
    returning l.repository, l.path
  )
  -- Paths of the session's repository as they are; a claimed task's lease in another
  -- repository as repository:path.
  select coalesce(array_agg(case when r.repository = v_session.repository then r.path
                                 else r.repository || ':' || r.path end order by r.repository, r.path), '{}')
  into v_paths from released as r;

  for v_task in
    select t.id from coord.tasks as t
    where t.tenant_id = p_tenant_id and t.claimed_session_id = p_session_id and t.state = 'claimed'
    order by t.id
    for update
  loop
    if coord.release_claim(v_task.id, case when p_reason = 'expired' then 'session_lost' else 'session_ended' end,
                           null) = 'dead' then
      v_dead := v_dead || v_task.id;
    else
      v_requeued := v_requeued || v_task.id;
    end if;
  end loop;

  v_summary := jsonb_build_object('session_id', p_session_id, 'repository', v_session.repository,
                                  'released_paths', to_jsonb(v_paths),
                                  'requeued_tasks', to_jsonb(v_requeued), 'dead_tasks', to_jsonb(v_dead));
  perform audit.record('session.' || case when p_reason = 'expired' then 'expire' else 'end' end, p_reason,
    'session', p_session_id::text,
    case when p_reason = 'expired' then format('no heartbeat since %s', v_session.expires_at)
         else 'ended by the agent' end,
    v_summary || jsonb_build_object('agent_id', v_session.agent_id),
    p_system => p_reason = 'expired', p_tenant_id => p_tenant_id);
  exception when lock_not_available then
    v_summary := null;
  end;
  perform pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
  return v_summary;
end;
$$;

comment on function coord.cleanup_session(uuid, uuid, text) is 'Ends a session (reason ended, or expired when its heartbeat is overdue), releases its leases and requeues its claims; audited (expiry as a system action). Null when there was nothing to do or its locks were busy (it then leaves the session to a later sweep).';
revoke all on function coord.cleanup_session(uuid, uuid, text) from public;
