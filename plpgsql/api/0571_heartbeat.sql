create or replace function api.heartbeat(p_status text default 'working', p_current_task bigint default null)
returns api.session_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me api.principal_info := coord.principal();
  v_decision authz.decision;
  v_now timestamptz := coord.clock_now();  -- the running clock, as for lock leases
  v_expires_at timestamptz;
  v_locks integer;
  v_claims integer;
  v_refusal text;
  v_max_duration interval;
begin
  if v_me.session_id is null then
    perform coord.fail('CO431', 'heartbeat without an x-coord-session header');
  end if;
  if p_status is null or p_status !~ '^[a-z][a-z0-9_-]{0,31}$' then
    perform coord.fail('CO434', format('status %s', coalesce(pg_catalog.quote_literal(left(p_status, 100)), 'null')));
  end if;
  if p_current_task is not null
     and not exists (select from coord.tasks as t where t.tenant_id = v_me.tenant_id and t.id = p_current_task) then
    perform coord.fail('CO410', format('no task %s in this tenant', p_current_task));
  end if;
  perform coord.require_read_committed();
  v_decision := authz.decide('session.heartbeat', v_me.session_id::text);
  if not v_decision.allowed then
    perform audit.record('session.heartbeat', 'denied', 'session', v_me.session_id::text, v_decision.reason, '{}',
      v_decision, 'warning');
    return row(false, 'denied', v_decision.reason, v_me.session_id, null, '{}')::api.session_result;
  end if;

  update coord.sessions as s
  set last_heartbeat_at = v_now, expires_at = v_now + s.ttl, status = p_status, current_task_id = p_current_task
  where s.tenant_id = v_me.tenant_id and s.id = v_me.session_id and s.ended_at is null and s.expires_at > v_now
  returning s.expires_at into v_expires_at;
  if not found then
    -- Dead for good: a missed heartbeat is not forgiven (its work may already be elsewhere).
    v_refusal := coord.session_refusal(v_me);
    perform audit.record('session.heartbeat', 'session_ended', 'session', v_me.session_id::text, v_refusal, '{}',
      v_decision, 'warning');
    return row(false, 'session_ended', v_refusal, v_me.session_id, null, '{}')::api.session_result;
  end if;

  -- Everything the session holds lives at least as long as the session now does, except a
  -- claim past its deadline (claimed_at + the profile's max_task_duration, as renew_task
  -- enforces): heartbeats never stretch a claim's life beyond it. Rows are locked in the one
  -- order: session (above), its tasks, their leases, each in id order.
  v_max_duration := (coord.effective_profile(v_me)).max_task_duration;
  update coord.tasks as t set lease_expires_at = least(v_expires_at, t.claimed_at + v_max_duration)
  where t.id in (select x.id from coord.tasks as x
                 where x.tenant_id = v_me.tenant_id and x.claimed_session_id = v_me.session_id
                   and x.state = 'claimed' and x.lease_expires_at > v_now
                   and x.lease_expires_at < least(v_expires_at, x.claimed_at + v_max_duration)
                 order by x.id for update);
  get diagnostics v_claims = row_count;
  update coord.locks as l set expires_at = v_expires_at, renewed_at = v_now
  where l.id in (select x.id from coord.locks as x
                 where x.tenant_id = v_me.tenant_id and x.session_id = v_me.session_id
                   and x.expires_at > v_now and x.expires_at < v_expires_at
                 order by x.id for update);
  get diagnostics v_locks = row_count;

  perform audit.record('session.heartbeat', 'alive', 'session', v_me.session_id::text, null,
    jsonb_strip_nulls(jsonb_build_object('status', p_status, 'current_task', p_current_task,
      'locks_extended', v_locks, 'claims_extended', v_claims)), v_decision);
  return row(true, 'alive', null, v_me.session_id, v_expires_at,
             jsonb_build_object('locks_extended', v_locks, 'claims_extended', v_claims))::api.session_result;
end;
$$;

comment on function api.heartbeat(text, bigint) is
'Keeps your session (x-coord-session) alive until now + its ttl and extends every lease and claim it holds to at least that (code alive), a claim never past its deadline (claimed_at + the profile''s max_task_duration). p_status is one lower-case word (working, idle, blocked, ...), p_current_task what you work on. A session that missed its heartbeat is over: session_ended, and its leases and claims are gone; start a new one. Errors: CO431 no session, CO434 status, CO410 unknown task.';
revoke all on function api.heartbeat(text, bigint) from public;
grant execute on function api.heartbeat(text, bigint) to coord_agent, coord_operator;
