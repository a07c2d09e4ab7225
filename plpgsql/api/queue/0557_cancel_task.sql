create or replace function api.cancel_task(p_task_id bigint)
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
  v_task record;
  v_result api.task_result;
  v_cancelled integer;
begin
  if p_task_id is null or p_task_id <= 0 then
    perform coord.fail('CO410', format('task id %s', coalesce(p_task_id::text, 'null')));
  end if;
  perform coord.require_read_committed();
  select t.state, t.submitted_by into v_task
  from coord.tasks as t where t.tenant_id = v_me.tenant_id and t.id = p_task_id
  for update;
  if not found then
    perform coord.fail('CO410', format('no task %s in this tenant', p_task_id));
  end if;
  -- Whose task it is decides too (authz: agents below trust 3 cancel only their own).
  v_decision := authz.gate('task.cancel', 'task', p_task_id::text, jsonb_build_object('submitted_by', v_task.submitted_by), p_caller => v_me);
  if not v_decision.allowed then
    return coord.task_result(p_task_id => p_task_id, p_state => v_task.state::text, p_refusal => v_decision);
  end if;
  if v_task.state not in ('queued', 'claimed') then
    v_result := coord.task_result('already_finished', p_task_id, format('the task is already %s', v_task.state),
                                  p_state => v_task.state::text);
    perform audit.record('task.cancel', v_result.code, 'task', p_task_id::text, v_result.reason, '{}', v_decision, 'warning', p_caller => v_me);
    return v_result;
  end if;

  perform coord.drop_task_leases(p_task_id);
  update coord.tasks
  set state = 'cancelled', finished_at = coord.now(), lease_expires_at = null, last_event = 'cancelled',
      last_error = format('cancelled by %s', v_me.name)
  where id = p_task_id;
  v_cancelled := coord.cancel_dependents(v_me.tenant_id, p_task_id);
  return coord.task_result('cancelled', p_task_id, p_state => 'cancelled',
    p_details => jsonb_build_object('dependents_cancelled', v_cancelled));
end;
$$;

comment on function api.cancel_task(bigint) is
'Cancels a queued or claimed task (a claimant''s later complete/fail gets stale_claim) and, transitively, the queued tasks depending on it: code cancelled with details.dependents_cancelled. Agents below trust 3 may cancel only tasks they submitted (else denied); trust-3+ agents and operators any. already_finished for a finished task. Errors: CO410 unknown task.';
revoke all on function api.cancel_task(bigint) from public;
grant execute on function api.cancel_task(bigint) to coord_agent, coord_operator;
