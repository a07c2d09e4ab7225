create or replace function api.claim_task(p_kinds text[], p_lease interval default interval '5 minutes')
returns api.claim_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_profile coord.profiles;  -- read once: the gate and the claim share it
  v_decision authz.decision;
  v_refusal text;
  v_done text;  -- the checks' answer (none): assigned, not PERFORMed (an expression, not a query)
begin
  -- api.claim_tasks with a limit of 1, written out: a call through it cost a second api entry
  -- (its SET clauses, its checks) and a subquery per claim.
  v_done := coord.check_kinds(p_kinds);
  v_done := coord.check_duration(p_lease, 'CO406', 'lease');
  v_done := coord.require_read_committed();
  v_profile := coord.effective_profile(v_me);
  v_decision := authz.gate('task.claim', 'kinds', array_to_string(p_kinds, ','),
    jsonb_build_object('lease', p_lease, 'kinds', to_jsonb(p_kinds)), p_profile => v_profile, p_caller => v_me);
  if not v_decision.allowed then
    return coord.claim_result(p_refusal => v_decision);
  end if;
  v_refusal := coord.session_refusal(v_me);
  if v_refusal is not null then
    perform audit.record('task.claim', 'session_ended', 'kinds', array_to_string(p_kinds, ','), v_refusal, '{}',
      v_decision, 'warning', p_caller => v_me);
    return coord.claim_result('session_ended', v_refusal);
  end if;
  if v_me.session_id is not null then
    p_lease := greatest(p_lease, coord.session_lease_floor(v_me));
  end if;
  -- Claims are audited by the task transitions; a claim that takes nothing by coord.claim_tasks_as.
  return (select c from coord.claim_tasks_as(v_me, p_kinds, p_lease, 1, v_profile) as c limit 1);
end;
$$;

comment on function api.claim_task(text[], interval) is
'Claims the best ready task of p_kinds (priority, then age) for p_lease: code claimed with task_id, payload, claim (the fencing token renew/complete/fail need), attempt and lease_expires_at, and in locks the fences of the leases it declared. A task that declares leases is claimed only if you may take them as acquire_lock would (scope locks:write, trust, allowed operations, the lease within max_lock_ttl) and they fit your profile''s max_locks; otherwise it is skipped, stays queued, and the refusal is audited (lock.acquire). ok=false with empty, outside_skill (your session runs a skill whose manifest does not cover the leases every ready task declares: details.task_ids, needs, skill; those tasks stay queued), at_limit (your concurrency limit; or, with details.max_locks, leases_held, leases_needed and task_ids, the leases of the ready tasks do not fit max_locks), session_ended or denied (the claim, or with details.rule and task_ids the leases the ready tasks declare). Errors: CO241/CO401/CO402 kinds, CO406 lease, CO213.';
revoke all on function api.claim_task(text[], interval) from public;
grant execute on function api.claim_task(text[], interval) to coord_agent, coord_operator;
