create or replace function api.fail_task(p_task_id bigint, p_claim bigint, p_error text, p_retryable boolean default true)
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
  v_result api.task_result;
  v_state coord.task_state;
  v_cancelled integer;
  v_attempts integer;
  v_run_after timestamptz;
begin
  perform coord.check_claim(p_task_id, p_claim);
  if char_length(p_error) > 4000 then
    perform coord.fail('CO416', format('error has %s characters', char_length(p_error)));
  end if;
  perform coord.require_read_committed();
  v_decision := authz.gate('task.fail', 'task', p_task_id::text,
    jsonb_build_object('claim', p_claim, 'retryable', p_retryable), jsonb_build_object('claim', p_claim), p_caller => v_me);
  if not v_decision.allowed then
    return coord.task_result(p_task_id => p_task_id, p_claim => p_claim, p_refusal => v_decision);
  end if;
  v_result := coord.check_live_claim(v_me, p_task_id, p_claim, false);
  if v_result.code is not null then
    perform audit.record('task.fail', v_result.code, 'task', p_task_id::text, v_result.reason,
      jsonb_build_object('claim', p_claim), v_decision, 'warning', p_caller => v_me);
    return v_result;
  end if;

  if coalesce(p_retryable, true) then
    v_state := coord.release_claim(p_task_id, 'retry', coalesce(p_error, 'failed'));
  else
    perform coord.drop_task_leases(p_task_id);
    update coord.tasks
    set state = 'failed', finished_at = coord.now(), lease_expires_at = null,
        last_error = coalesce(p_error, 'failed'), last_event = 'failed'
    where id = p_task_id;
    v_state := 'failed';
    v_cancelled := coord.cancel_dependents(v_me.tenant_id, p_task_id);
  end if;
  select t.attempts, t.run_after into v_attempts, v_run_after from coord.tasks as t where t.id = p_task_id;
  return coord.task_result(case v_state when 'queued' then 'requeued' when 'dead' then 'dead' else 'failed' end,
    p_task_id, p_state => v_state::text, p_claim => p_claim, p_attempt => v_attempts,
    p_run_after => case when v_state = 'queued' then v_run_after end,
    p_details => case when v_cancelled is not null
                      then jsonb_build_object('dependents_cancelled', v_cancelled) else '{}' end);
end;
$$;

comment on function api.fail_task(bigint, bigint, text, boolean) is
'Reports that your live claim failed. Retryable (default): the task is requeued after a jittered exponential backoff (code requeued, run_after) or, on its last attempt, becomes dead (code dead; its dependents are cancelled). Not retryable: code failed, dependents cancelled (details.dependents_cancelled). Stale claims are refused as results (stale_claim, expired, session_ended); denied when the policy refuses (details.rule). Errors: CO410, CO413, CO416 error text over 4000 characters, CO213.';
revoke all on function api.fail_task(bigint, bigint, text, boolean) from public;
grant execute on function api.fail_task(bigint, bigint, text, boolean) to coord_agent, coord_operator;
