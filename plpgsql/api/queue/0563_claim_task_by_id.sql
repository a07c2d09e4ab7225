-- Claim one task you know of by its id, through the same gate and checks as claim_task (trust,
-- dependencies, run_after, concurrency limit, declared leases): how coord git-sync hands the
-- database a claim taken on the git fallback while it was unreachable.
create or replace function api.claim_task_by_id(p_task_id bigint, p_lease interval default interval '5 minutes')
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
  v_kind text;
  v_refusal text;
  v_done text;  -- the checks' answer (none): assigned, not PERFORMed (an expression, not a query)
begin
  v_done := coord.check_duration(p_lease, 'CO406', 'lease');
  v_done := coord.require_read_committed();
  select t.kind::text into v_kind from coord.tasks as t where t.tenant_id = v_me.tenant_id and t.id = p_task_id;
  if v_kind is null then
    perform coord.fail('CO410', format('no task %s in this tenant', coalesce(p_task_id::text, 'null')));
  end if;
  v_profile := coord.effective_profile(v_me);
  v_decision := authz.gate('task.claim', 'task', p_task_id::text,
    jsonb_build_object('lease', p_lease, 'kinds', jsonb_build_array(v_kind), 'task_id', p_task_id), p_profile => v_profile, p_caller => v_me);
  if not v_decision.allowed then
    return coord.claim_result(p_refusal => v_decision);
  end if;
  v_refusal := coord.session_refusal(v_me);
  if v_refusal is not null then
    perform audit.record('task.claim', 'session_ended', 'task', p_task_id::text, v_refusal, '{}', v_decision, 'warning', p_caller => v_me);
    return coord.claim_result('session_ended', v_refusal);
  end if;
  if v_me.session_id is not null then
    p_lease := greatest(p_lease, coord.session_lease_floor(v_me));
  end if;
  -- Claims are audited by the task transitions; a claim that takes nothing by coord.claim_tasks_as.
  return (select c from coord.claim_tasks_as(v_me, null, p_lease, 1, v_profile, p_task_id) as c limit 1);
end;
$$;

comment on function api.claim_task_by_id(bigint, interval) is
'Claims task p_task_id for p_lease if it is ready (queued, dependencies completed, run_after passed, within your trust), with the same gate, limits and declared leases as claim_task: code claimed with the claim token (the fencing token renew/complete/fail need), lease_expires_at and the fences of its declared leases. ok=false with empty (the task is claimed, finished or not ready, or its leases are busy), outside_skill (your session''s skill does not cover its declared leases), at_limit, session_ended or denied. coord git-sync uses it to import a claim taken on the git fallback. Errors: CO410 unknown task, CO406 lease, CO213.';
revoke all on function api.claim_task_by_id(bigint, interval) from public;
grant execute on function api.claim_task_by_id(bigint, interval) to coord_agent, coord_operator;
