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
  v_count integer := case when jsonb_typeof(p_tasks) = 'array' then jsonb_array_length(p_tasks) else 0 end;
  v_kinds text[];
begin
  perform coord.check_json(p_tasks, 'tasks', 4194304, 2);  -- an array of objects holding payloads
  perform coord.require_read_committed();
  -- One decision per kind the batch submits, as submit_task takes one for its kind: a policy on
  -- a kind (a Cedar forbid on the target) holds for a batch too. The first is the call's. Kinds
  -- that are not well formed are left to coord.submit_task_specs, which refuses them (CO401),
  -- and a batch with none keeps one decision for the batch before its error.
  if v_count between 1 and 1000 then
    v_kinds := array(select distinct e ->> 'kind' from jsonb_array_elements(p_tasks) as e
                     where jsonb_typeof(e -> 'kind') = 'string'
                       and (e ->> 'kind') ~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$'
                     order by 1);
  end if;
  if coalesce(cardinality(v_kinds), 0) = 0 then
    v_decision := authz.gate('task.submit', 'batch', null, jsonb_build_object('batch', v_count), p_caller => v_me);
    if not v_decision.allowed then
      return next coord.task_result(p_refusal => v_decision);
      return;
    end if;
  end if;
  for i in 1 .. coalesce(cardinality(v_kinds), 0) loop
    v_decision := authz.gate('task.submit', 'kind', v_kinds[i], jsonb_build_object('kind', v_kinds[i]),
      jsonb_build_object('batch', v_count), p_within => case when i > 1 then 'task.submit' end, p_caller => v_me);
    if not v_decision.allowed then
      return next coord.task_result(p_refusal => v_decision);
      return;
    end if;
  end loop;
  return query select * from coord.submit_task_specs(v_me, p_tasks);
end;
$$;

comment on function api.submit_tasks(jsonb) is
'Queues a batch (1-1000) atomically: p_tasks is a JSON array of objects with the submit_task fields (kind required; payload, priority, depends_on, run_after, max_attempts, required_trust, unique_key, locks) plus an optional ref, a name other items of the batch may list in depends_on. One result per item, in order (code submitted, or duplicate with the pending task), or one denied when the policy refuses (details.rule): one decision per kind the batch submits (as submit_task takes for its kind; the call counts once against calls_per_hour), so a policy on a kind refuses every batch that submits it, and nothing of it is queued. Errors as submit_task, plus CO404 batch over 4 MiB, CO415 malformed batch, CO407 unknown ref, CO408 dependency cycle; any error writes nothing.';
revoke all on function api.submit_tasks(jsonb) from public;
grant execute on function api.submit_tasks(jsonb) to coord_agent, coord_operator;
