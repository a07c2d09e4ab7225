create or replace function api.heartbeat(p_status text default 'working', p_current_task bigint default null)
returns api.session_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_now timestamptz := coord.clock_now();  -- the running clock, as for lock leases
  v_expires_at timestamptz;
  v_locks integer := 0;
  v_claims integer := 0;
  v_refusal text;
  v_profile coord.profiles;
  v_lease_until timestamptz;
  v_lock_decision authz.decision;
  v_claim_decision authz.decision;
  v_refused jsonb;
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
  v_decision := authz.gate('session.heartbeat', 'session', v_me.session_id::text);
  if not v_decision.allowed then
    return coord.session_result(p_session_id => v_me.session_id, p_refusal => v_decision);
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
    return coord.session_result('session_ended', v_me.session_id, v_refusal);
  end if;

  -- Everything the session holds lives at least as long as the session now does, if the
  -- agent may still hold it: leases pass the decision renew_lock takes and never outlive
  -- now + max_lock_ttl; claims pass the decision renew_task takes and never outlive their
  -- deadline (claimed_at + the profile's max_task_duration); a claim of a task that declares
  -- leases lives no longer than its leases. Refusals are audited by the gate. Rows are
  -- locked in the one order: session (above), its tasks, their leases, each in id order.
  v_profile := coord.effective_profile(v_me);
  v_lease_until := least(v_expires_at, v_now + v_profile.max_lock_ttl);
  if exists (select from coord.locks as l
             where l.tenant_id = v_me.tenant_id and l.session_id = v_me.session_id and l.expires_at > v_now) then
    v_lock_decision := authz.gate('lock.renew', 'session', v_me.session_id::text,
      jsonb_build_object('ttl', v_lease_until - v_now), p_within => 'session.heartbeat',
      p_reason_prefix => 'leases of the session not extended: ');
  end if;
  if exists (select from coord.tasks as t
             where t.tenant_id = v_me.tenant_id and t.claimed_session_id = v_me.session_id
               and t.state = 'claimed' and t.lease_expires_at > v_now) then
    v_claim_decision := authz.gate('task.renew', 'session', v_me.session_id::text, p_within => 'session.heartbeat',
      p_reason_prefix => 'claims of the session not extended: ');
  end if;
  if v_claim_decision.allowed then
    update coord.tasks as t
    set lease_expires_at = least(v_expires_at, t.claimed_at + v_profile.max_task_duration,
                                 case when cardinality(t.lock_paths) > 0 then v_lease_until end)
    where t.id in (select x.id from coord.tasks as x
                   where x.tenant_id = v_me.tenant_id and x.claimed_session_id = v_me.session_id
                     and x.state = 'claimed' and x.lease_expires_at > v_now
                     and (cardinality(x.lock_paths) = 0 or v_lock_decision.allowed)
                     and x.lease_expires_at < least(v_expires_at, x.claimed_at + v_profile.max_task_duration,
                                                    case when cardinality(x.lock_paths) > 0 then v_lease_until end)
                   order by x.id for update);
    get diagnostics v_claims = row_count;
  end if;
  if v_lock_decision.allowed then
    -- A lease this session took while the heartbeat waited for the session row is younger than
    -- v_now: its renewal is not stamped before its acquisition.
    update coord.locks as l set expires_at = v_lease_until, renewed_at = greatest(v_now, l.acquired_at)
    where l.id in (select x.id from coord.locks as x
                   where x.tenant_id = v_me.tenant_id and x.session_id = v_me.session_id
                     and x.expires_at > v_now and x.expires_at < v_lease_until
                   order by x.id for update);
    get diagnostics v_locks = row_count;
  end if;

  v_refused := jsonb_strip_nulls(jsonb_build_object(
    'locks_refused', case when not v_lock_decision.allowed then v_lock_decision.rule end,
    'claims_refused', case when not v_claim_decision.allowed then v_claim_decision.rule end));
  perform audit.record('session.heartbeat', 'alive', 'session', v_me.session_id::text, null,
    jsonb_strip_nulls(jsonb_build_object('status', p_status, 'current_task', p_current_task,
      'locks_extended', v_locks, 'claims_extended', v_claims)) || v_refused, v_decision);
  return coord.session_result('alive', v_me.session_id, p_expires_at => v_expires_at,
    p_details => jsonb_build_object('locks_extended', v_locks, 'claims_extended', v_claims) || v_refused);
end;
$$;

comment on function api.heartbeat(text, bigint) is
'Keeps your session (x-coord-session) alive until now + its ttl and extends every lease and claim it holds to at least that (code alive), a lease never past now + the profile''s max_lock_ttl, a claim never past its deadline (claimed_at + the profile''s max_task_duration) nor past the leases of its task. Leases are extended only if you may still hold them (the decision renew_lock takes), claims only if you may still renew them (renew_task''s); otherwise details.locks_refused / claims_refused name the rule, the refusal is audited, and they run out. p_status is one lower-case word (working, idle, blocked, ...), p_current_task what you work on. A session that missed its heartbeat is over: session_ended, and its leases and claims are gone; start a new one. A refusal of the policy is denied (details.rule). Errors: CO431 no session, CO434 status, CO410 unknown task.';
revoke all on function api.heartbeat(text, bigint) from public;
grant execute on function api.heartbeat(text, bigint) to coord_agent, coord_operator;
