create or replace function api.renew_task(p_task_id bigint, p_claim bigint, p_lease interval default interval '5 minutes')
returns api.task_result
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
  v_further authz.decision;
  v_result api.task_result;
  v_now timestamptz := coord.clock_now();  -- the running clock, as for lock leases
  v_expires_at timestamptz;
  v_claimed_at timestamptz;
  v_paths text[];
  v_prefix text;
  v_audit jsonb := jsonb_build_object('claim', p_claim, 'lease', p_lease);
begin
  perform coord.check_claim(p_task_id, p_claim);
  perform coord.check_duration(p_lease, 'CO406', 'lease');
  v_expires_at := v_now + p_lease;
  perform coord.require_read_committed();
  v_decision := authz.gate('task.renew', 'task', p_task_id::text, v_audit, v_audit, p_caller => v_me);
  if not v_decision.allowed then
    return coord.task_result(p_task_id => p_task_id, p_claim => p_claim, p_refusal => v_decision);
  end if;
  v_result := coord.check_live_claim(v_me, p_task_id, p_claim, false);
  if v_result.code is not null then
    perform audit.record('task.renew', v_result.code, 'task', p_task_id::text, v_result.reason, v_audit, v_decision,
      'warning', p_caller => v_me);
    return v_result;
  end if;

  -- Further decisions on the live claim: the profile bounds a claim's whole life (claimed_at +
  -- max_task_duration), and the task's leases are extended with it only if they pass the
  -- decision renew_lock takes.
  select t.claimed_at, t.lock_paths into v_claimed_at, v_paths from coord.tasks as t where t.id = p_task_id;
  v_further := authz.gate('task.renew', 'task', p_task_id::text,
    jsonb_build_object('claimed_at', v_claimed_at, 'expires_at', v_expires_at), v_audit, p_within => 'task.renew', p_caller => v_me);
  if not v_further.allowed then
    return coord.task_result(p_task_id => p_task_id, p_state => 'claimed', p_claim => p_claim,
      p_details => jsonb_build_object('deadline', v_claimed_at + (coord.effective_profile(v_me)).max_task_duration),
      p_refusal => v_further);
  end if;
  if cardinality(v_paths) > 0 then
    v_prefix := format('the leases of task %s: ', p_task_id);
    v_further := authz.gate('lock.renew', 'task', p_task_id::text,
      jsonb_build_object('ttl', p_lease, 'task_id', p_task_id), v_audit,
      p_event => 'task.renew', p_within => 'task.renew', p_reason_prefix => v_prefix, p_caller => v_me);
    if not v_further.allowed then
      return coord.task_result(p_task_id => p_task_id, p_state => 'claimed', p_claim => p_claim,
        p_reason => v_prefix || v_further.reason, p_refusal => v_further);
    end if;
  end if;

  update coord.tasks set lease_expires_at = v_expires_at where id = p_task_id;
  update coord.locks set expires_at = greatest(expires_at, v_expires_at), renewed_at = v_now
  where task_id = p_task_id;
  perform audit.record('task.renew', 'renewed', 'task', p_task_id::text, null, v_audit, v_decision, p_caller => v_me);
  return coord.task_result('renewed', p_task_id, p_state => 'claimed', p_claim => p_claim,
    p_details => jsonb_build_object('lease_expires_at', v_expires_at));
end;
$$;

comment on function api.renew_task(bigint, bigint, interval) is
'Extends your live claim (and the leases the task declared) to now + p_lease: code renewed with details.lease_expires_at. ok=false with stale_claim, expired (the lease already ran out; the task was returned to the queue), session_ended or denied (also when the new expiry passes the claim''s deadline: claimed_at + the profile''s max_task_duration, and when you may no longer hold the task''s leases for p_lease as renew_lock decides: scope locks:write, trust, allowed operations, max_lock_ttl; details.rule). Errors: CO410 unknown task, CO413 claim, CO406 lease, CO213.';
revoke all on function api.renew_task(bigint, bigint, interval) from public;
grant execute on function api.renew_task(bigint, bigint, interval) to coord_agent, coord_operator;
