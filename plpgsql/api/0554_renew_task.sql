create or replace function api.renew_task(p_task_id bigint, p_claim bigint, p_lease interval default interval '5 minutes')
returns api.task_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me api.principal_info := coord.principal();
  v_decision authz.decision;
  v_result api.task_result;
  v_now timestamptz := coord.clock_now();  -- the running clock, as for lock leases
  v_expires_at timestamptz;
  v_deadline timestamptz;
  v_paths text[];
  v_lease_decision authz.decision;
begin
  perform coord.check_claim(p_task_id, p_claim);
  perform coord.check_duration(p_lease, 'CO406', 'lease');
  v_expires_at := v_now + p_lease;
  perform coord.require_read_committed();
  v_decision := authz.decide('task.renew', p_task_id::text, jsonb_build_object('claim', p_claim, 'lease', p_lease));
  if not v_decision.allowed then
    v_result := row(false, 'denied', v_decision.reason, p_task_id, null, p_claim, null, null, '{}');
  else
    v_result := coord.check_live_claim(v_me, p_task_id, p_claim);
    if v_result.code = 'already_completed' then
      v_result.code := 'stale_claim';
    end if;
  end if;
  if v_result.code is null then
    -- The profile bounds a claim's whole life, renewals included.
    select t.claimed_at + f.max_task_duration into v_deadline
    from coord.tasks as t cross join coord.effective_profile(v_me) as f
    where t.id = p_task_id;
    if v_expires_at > v_deadline then
      v_decision := row(false, 'deny', 'native', 'profile.max_task_duration',
        format('the claim may last until %s under profile %s', v_deadline,
               (coord.effective_profile(v_me)).name))::authz.decision;
      v_result := row(false, 'denied', v_decision.reason, p_task_id, 'claimed', p_claim, null, null,
                      jsonb_build_object('deadline', v_deadline));
    end if;
  end if;
  if v_result.code is null then
    -- The task's leases are extended with it: they pass the decision renew_lock takes.
    select t.lock_paths into v_paths from coord.tasks as t where t.id = p_task_id;
    if cardinality(v_paths) > 0 then
      v_lease_decision := authz.decide('lock.renew', array_to_string(v_paths, ','),
        jsonb_build_object('ttl', p_lease, 'task_id', p_task_id), 'task.renew');
      if not v_lease_decision.allowed then
        v_decision := v_lease_decision;
        v_result := row(false, 'denied', format('the leases of task %s: %s', p_task_id, v_lease_decision.reason),
                        p_task_id, 'claimed', p_claim, null, null, jsonb_build_object('rule', v_lease_decision.rule));
      end if;
    end if;
  end if;
  if v_result.code is null then
    update coord.tasks set lease_expires_at = v_expires_at where id = p_task_id;
    update coord.locks set expires_at = greatest(expires_at, v_expires_at), renewed_at = v_now
    where task_id = p_task_id;
    v_result := row(true, 'renewed', null, p_task_id, 'claimed', p_claim, null, null,
                    jsonb_build_object('lease_expires_at', v_expires_at));
  end if;
  perform audit.record('task.renew', v_result.code, 'task', p_task_id::text, v_result.reason,
    jsonb_build_object('claim', p_claim, 'lease', p_lease), v_decision,
    case when v_result.ok then 'info' else 'warning' end);
  return v_result;
end;
$$;

comment on function api.renew_task(bigint, bigint, interval) is
'Extends your live claim (and the leases the task declared) to now + p_lease: code renewed with details.lease_expires_at. ok=false with stale_claim, expired (the lease already ran out; the task was returned to the queue), session_ended or denied (also when the new expiry passes the claim''s deadline: claimed_at + the profile''s max_task_duration, and when you may no longer hold the task''s leases for p_lease as renew_lock decides: scope locks:write, trust, allowed operations, max_lock_ttl; details.rule). Errors: CO410 unknown task, CO413 claim, CO406 lease, CO213.';
revoke all on function api.renew_task(bigint, bigint, interval) from public;
grant execute on function api.renew_task(bigint, bigint, interval) to coord_agent, coord_operator;
