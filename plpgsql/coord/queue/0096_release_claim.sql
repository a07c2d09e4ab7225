-- A claim ends without completion (retryable failure, lease expiry, or its session's end):
-- the task's leases are released and it returns to the queue after a jittered backoff, or
-- becomes dead when that was its last attempt (and its dependents are cancelled). Returns the
-- new state. The caller holds the task row locked and has checked it is claimed.
create or replace function coord.release_claim(p_task_id bigint, p_event text, p_error text)
returns coord.task_state
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_task record;
  v_state coord.task_state;
begin
  perform coord.drop_task_leases(p_task_id);

  update coord.tasks as t
  set state = case when t.attempts >= t.max_attempts then 'dead' else 'queued' end::coord.task_state,
      run_after = case when t.attempts >= t.max_attempts then t.run_after
                       else v_now + coord.retry_backoff(t.attempts) end,
      claim = null, claimed_by = null, claimed_session_id = null, claimed_at = null,
      lease_expires_at = null,
      finished_at = case when t.attempts >= t.max_attempts then v_now end,
      last_error = coalesce(p_error, case p_event
                                       when 'expired' then 'claim expired'
                                       when 'session_lost' then 'session expired'
                                       when 'session_ended' then 'session ended'
                                     end, t.last_error),
      last_event = p_event
  where t.id = p_task_id and t.state = 'claimed'
  returning t.tenant_id, t.state into v_task;

  if v_task.state is null then
    perform coord.fail('CO411', format('task %s is not claimed', p_task_id));
  end if;
  v_state := v_task.state;
  if v_state = 'dead' then
    perform coord.cancel_dependents(v_task.tenant_id, p_task_id);
  end if;
  return v_state;
end;
$$;

comment on function coord.release_claim(bigint, text, text) is 'Ends a claim without completion: releases the task''s leases, requeues it with backoff, or makes it dead after max_attempts (cancelling its dependents). Returns the new state.';
revoke all on function coord.release_claim(bigint, text, text) from public;
