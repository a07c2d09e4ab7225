create or replace function api.claim_tasks(
  p_kinds text[],
  p_lease interval default interval '5 minutes',
  p_limit integer default 10
)
returns setof api.claim_result
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
  v_done := coord.check_kinds(p_kinds);
  v_done := coord.check_duration(p_lease, 'CO406', 'lease');
  v_done := coord.check_limit(p_limit);
  v_done := coord.require_read_committed();
  v_profile := coord.effective_profile(v_me);
  v_decision := authz.gate('task.claim', 'kinds', array_to_string(p_kinds, ','),
    jsonb_build_object('lease', p_lease, 'kinds', to_jsonb(p_kinds)), p_profile => v_profile, p_caller => v_me);
  if not v_decision.allowed then
    return next coord.claim_result(p_refusal => v_decision);
    return;
  end if;
  v_refusal := coord.session_refusal(v_me);
  if v_refusal is not null then
    perform audit.record('task.claim', 'session_ended', 'kinds', array_to_string(p_kinds, ','), v_refusal, '{}',
      v_decision, 'warning', p_caller => v_me);
    return next coord.claim_result('session_ended', v_refusal);
    return;
  end if;

  if v_me.session_id is not null then
    p_lease := greatest(p_lease, coord.session_lease_floor(v_me));
  end if;
  -- Claims are audited by the task transitions; a claim that takes nothing by coord.claim_tasks_as.
  return query select * from coord.claim_tasks_as(v_me, p_kinds, p_lease, p_limit, v_profile);
end;
$$;

comment on function api.claim_tasks(text[], interval, integer) is
'Claims up to p_limit (1-1000) ready tasks of p_kinds in one transaction, as claim_task does for one: one row per claim; when nothing was claimed, a single ok=false row (empty, at_limit, session_ended, denied, outside_skill: the leases the ready tasks declare are outside your session''s skill). Tasks whose declared leases you may not take (the lock.acquire decision, or your profile''s max_locks, which counts every lease you hold) are skipped and stay queued; each refusal is audited as lock.acquire denied or at_limit. Claims are audited by the task state machine (with the decision that allowed them); a claim that takes nothing is audited as task.claim with its code (empty: severity debug). Errors: CO241/CO401/CO402 kinds, CO406 lease, CO224 limit, CO213.';
revoke all on function api.claim_tasks(text[], interval, integer) from public;
grant execute on function api.claim_tasks(text[], interval, integer) to coord_agent, coord_operator;
