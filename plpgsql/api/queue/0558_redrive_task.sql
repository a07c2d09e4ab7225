create or replace function api.redrive_task(p_task_id bigint)
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
  v_state coord.task_state;
  v_result api.task_result;
begin
  if p_task_id is null or p_task_id <= 0 then
    perform coord.fail('CO410', format('task id %s', coalesce(p_task_id::text, 'null')));
  end if;
  perform coord.require_read_committed();
  select t.state into v_state from coord.tasks as t where t.tenant_id = v_me.tenant_id and t.id = p_task_id for update;
  if not found then
    perform coord.fail('CO410', format('no task %s in this tenant', p_task_id));
  end if;
  v_decision := authz.gate('task.redrive', 'task', p_task_id::text, p_caller => v_me);
  if not v_decision.allowed then
    return coord.task_result(p_task_id => p_task_id, p_state => v_state::text, p_refusal => v_decision);
  end if;
  if v_state not in ('dead', 'failed') then
    v_result := coord.task_result('not_redrivable', p_task_id,
      format('only dead or failed tasks are redriven; this one is %s', v_state), p_state => v_state::text);
  else
    begin
      update coord.tasks
      set state = 'queued', attempts = 0, run_after = coord.now(), finished_at = null, claim = null,
          claimed_by = null, claimed_session_id = null, claimed_at = null, last_event = 'redriven'
      where id = p_task_id;
      return coord.task_result('queued', p_task_id, p_state => 'queued', p_attempt => 0, p_run_after => coord.now());
    exception when unique_violation then
      -- the refusal of a redrive (a submit's duplicate is the pending task, ok)
      v_result := coord.task_result('duplicate', p_task_id, 'a pending task of this kind has the same unique_key',
                                    p_state => v_state::text, p_ok => false);
    end;
  end if;
  perform audit.record('task.redrive', v_result.code, 'task', p_task_id::text, v_result.reason, '{}', v_decision, 'warning', p_caller => v_me);
  return v_result;
end;
$$;

comment on function api.redrive_task(bigint) is
'Operators: returns a dead or failed task to the queue with its attempts reset (code queued). Dependents cancelled by its failure stay cancelled; resubmit them. ok=false with not_redrivable, duplicate (pending work has its unique_key) or denied. Errors: CO410 unknown task.';
revoke all on function api.redrive_task(bigint) from public;
grant execute on function api.redrive_task(bigint) to coord_agent, coord_operator;
