create or replace function api.submit_tasks(p_tasks jsonb)
returns setof api.task_result
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
begin
  perform coord.check_json(p_tasks, 'tasks', 4194304, 2);  -- an array of objects holding payloads
  perform coord.require_read_committed();
  v_decision := authz.gate('task.submit', 'batch', null, jsonb_build_object('batch', jsonb_array_length(
    case when jsonb_typeof(p_tasks) = 'array' then p_tasks else '[]' end)), p_caller => v_me);
  if not v_decision.allowed then
    return next coord.task_result(p_refusal => v_decision);
    return;
  end if;
  return query select * from coord.submit_task_specs(v_me, p_tasks);
end;
$$;

comment on function api.submit_tasks(jsonb) is
'Queues a batch (1-1000) atomically: p_tasks is a JSON array of objects with the submit_task fields (kind required; payload, priority, depends_on, run_after, max_attempts, required_trust, unique_key, locks) plus an optional ref, a name other items of the batch may list in depends_on. One result per item, in order (code submitted, or duplicate with the pending task), or one denied when the policy refuses (details.rule). Errors as submit_task, plus CO404 batch over 4 MiB, CO415 malformed batch, CO407 unknown ref, CO408 dependency cycle; any error writes nothing.';
revoke all on function api.submit_tasks(jsonb) from public;
grant execute on function api.submit_tasks(jsonb) to coord_agent, coord_operator;
