-- Locks the task and checks that p_claim is the caller's live claim on it. Null when it is;
-- otherwise the result explaining why not: stale_claim (another claim, another session, or
-- the task moved on), session_ended, or expired (the lease ran out: the task is rescued on the
-- spot). When this very claim completed the task, a second completion (p_completing) is the
-- error CO412 and anything else stale_claim. CO410 for an unknown task.
create or replace function coord.check_live_claim(p_me coord.caller, p_task_id bigint, p_claim bigint,
                                                  p_completing boolean)
returns api.task_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_task record;
  v_refusal text;
  v_state coord.task_state;
begin
  -- The caller's session is locked (and judged) before the task: the lock order of heartbeat
  -- and session cleanup, which take the session, then its tasks, then their leases.
  v_refusal := coord.session_refusal(p_me);
  select t.state, t.claim, t.claimed_by, t.claimed_session_id, t.lease_expires_at, t.attempts, t.run_after
  into v_task
  from coord.tasks as t
  where t.tenant_id = p_me.tenant_id and t.id = p_task_id
  for update;
  if not found then
    perform coord.fail('CO410', format('no task %s in this tenant', p_task_id));
  end if;

  if v_task.state = 'completed' and v_task.claim = p_claim and v_task.claimed_by = p_me.principal_id then
    if p_completing then
      perform coord.fail('CO412', format('task %s was completed with claim %s', p_task_id, p_claim));
    end if;
    return coord.task_result('stale_claim', p_task_id, 'this claim already completed the task', p_state => 'completed',
                             p_claim => p_claim, p_attempt => v_task.attempts);
  end if;
  if v_task.state <> 'claimed' or v_task.claim <> p_claim or v_task.claimed_by <> p_me.principal_id
     or v_task.claimed_session_id is distinct from p_me.session_id then
    return coord.task_result('stale_claim', p_task_id,
      case when v_task.state <> 'claimed' then format('the task is %s; claim %s no longer holds it', v_task.state, p_claim)
           when v_task.claim <> p_claim then format('claim %s is stale: the task was claimed again (claim %s)', p_claim, v_task.claim)
           else format('claim %s belongs to another principal or session', p_claim) end,
      p_state => v_task.state::text, p_claim => p_claim, p_attempt => v_task.attempts,
      p_details => jsonb_build_object('presented_claim', p_claim));
  end if;

  if v_refusal is not null then
    select t.state, t.run_after into v_task from coord.tasks as t where t.id = p_task_id;
    return coord.task_result('session_ended', p_task_id, v_refusal, p_state => v_task.state::text, p_claim => p_claim,
                             p_run_after => v_task.run_after);
  end if;

  if v_task.lease_expires_at <= coord.clock_now() then
    v_state := coord.release_claim(p_task_id, 'expired', null);
    select t.run_after into v_task from coord.tasks as t where t.id = p_task_id;
    return coord.task_result('expired', p_task_id, format('the claim''s lease expired; the task is %s again', v_state),
                             p_state => v_state::text, p_claim => p_claim, p_run_after => v_task.run_after);
  end if;
  return null;
end;
$$;

comment on function coord.check_live_claim(coord.caller, bigint, bigint, boolean) is 'Null when p_claim is the caller''s live claim on the (now locked) task; else a stale_claim, session_ended or expired result (an expired claim is rescued first). CO412 when p_completing and this claim already completed the task (stale_claim without p_completing). CO410 for an unknown task.';
revoke all on function coord.check_live_claim(coord.caller, bigint, bigint, boolean) from public;
