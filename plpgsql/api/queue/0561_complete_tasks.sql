-- Complete several claimed tasks at once, all or none: what complete_task does for each, one
-- policy decision per task, in one transaction. Every claim (and the guardrails on declared
-- operations) is checked before anything is completed; when any is refused nothing is
-- completed, and each refusal is committed and audited as complete_task's would be.
create or replace function api.complete_tasks(p_tasks jsonb)
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
  v_count integer;
  v_ids bigint[];
  v_claims bigint[];
  v_payloads jsonb[];
  v_ops jsonb[];
  v_checks jsonb[];
  v_order integer[];
  v_profile coord.profiles;  -- read once: every decision shares it
  v_decision authz.decision;
  v_decisions authz.decision[] := '{}';
  v_results api.task_result[] := '{}';
  v_refused jsonb := '[]';
  v_stop boolean := false;
  v_live boolean;
  v_unblocked integer[];
  v_pos integer;
  v_large boolean := octet_length(p_tasks::text) > 65536;  -- could hold a result over complete_task's limit
  v_done api.task_result;
begin
  perform coord.check_json(p_tasks, 'tasks', 4194304, 2);  -- an array of objects holding results
  if jsonb_typeof(p_tasks) is distinct from 'array' or jsonb_array_length(p_tasks) not between 1 and 1000 then
    perform coord.fail('CO421', format('a JSON array of 1-1000 completions is required, not %s',
      case when jsonb_typeof(p_tasks) = 'array' then format('%s items', jsonb_array_length(p_tasks))
           else coalesce(jsonb_typeof(p_tasks), 'null') end));
  end if;
  v_count := jsonb_array_length(p_tasks);
  -- The shape of every item in one statement: the first malformed one raises.
  select min(e.i) into v_pos
  from jsonb_array_elements(p_tasks) with ordinality as e (item, i)
  where jsonb_typeof(e.item) <> 'object' or not e.item ?& array['task_id', 'claim']
     or exists (select from jsonb_object_keys(e.item) as k where k not in ('task_id', 'claim', 'result'))
     or jsonb_typeof(e.item -> 'task_id') <> 'number' or jsonb_typeof(e.item -> 'claim') <> 'number'
     or (e.item ->> 'task_id') !~ '^[0-9]{1,18}$' or (e.item ->> 'claim') !~ '^[0-9]{1,18}$';
  if v_pos is not null then
    perform coord.fail('CO421', format('item %s is not {"task_id": id, "claim": claim, "result": {...}}: %s', v_pos - 1,
                                       left((p_tasks -> (v_pos - 1)::integer)::text, 200)));
  end if;
  select array_agg((e.item ->> 'task_id')::bigint order by e.i), array_agg((e.item ->> 'claim')::bigint order by e.i),
         array_agg(coalesce(e.item -> 'result', '{}') order by e.i)
  into v_ids, v_claims, v_payloads
  from jsonb_array_elements(p_tasks) with ordinality as e (item, i);
  v_ops := array_fill('[]'::jsonb, array[v_count]);
  v_checks := array_fill('{"checks": []}'::jsonb, array[v_count]);
  -- The per-item checks of complete_task, in item order, where they can refuse: a zero id or
  -- claim; a result over 64 KiB (none can be when the whole batch is smaller; its nesting was
  -- checked with the batch's); declared operations.
  for i in 1 .. v_count loop
    if v_ids[i] = 0 or v_claims[i] = 0 then
      perform coord.check_claim(v_ids[i], v_claims[i]);
    end if;
    if v_large then
      perform coord.check_json(v_payloads[i], 'result', 65536);
    end if;
    if v_payloads[i] ? 'operations' then
      v_ops[i] := coord.guard_operations(v_payloads[i]);
    end if;
  end loop;
  if (select count(distinct t) from unnest(v_ids) as t) < v_count then
    perform coord.fail('CO421', format('task %s appears twice', (
      select t from unnest(v_ids) as t group by t having count(*) > 1 limit 1)));
  end if;
  perform coord.require_read_committed();

  v_profile := coord.effective_profile(v_me);
  -- One decision per task, as complete_task takes it; the first is the call's.
  for i in 1 .. v_count loop
    v_decision := authz.gate('task.complete', 'task', v_ids[i]::text, jsonb_build_object('claim', v_claims[i]),
      jsonb_build_object('claim', v_claims[i], 'batch', v_count), p_within => case when i > 1 then 'task.complete' end,
      p_profile => v_profile, p_caller => v_me);
    if not v_decision.allowed then
      v_results[i] := coord.task_result(p_task_id => v_ids[i], p_claim => v_claims[i], p_refusal => v_decision);
      v_stop := true;
    else
      v_results[i] := null;
    end if;
    v_decisions[i] := v_decision;
  end loop;

  if not v_stop then
    -- Check every claim before completing any: tasks are locked in id order (so two batches
    -- never deadlock), refusals audited as complete_task audits them.
    v_order := array(select o::integer from unnest(v_ids) with ordinality as u (t, o) order by t);
    -- Every claim live and no verification required (the common case) is known in one call;
    -- otherwise each task's checks give its refusal.
    v_live := coord.claims_completable(v_me, v_ids, v_claims);
    foreach v_pos in array v_order loop
      if not v_live then
        v_results[v_pos] := coord.check_live_claim(v_me, v_ids[v_pos], v_claims[v_pos], true);
        if v_results[v_pos].code is not null then
          perform audit.record('task.complete', v_results[v_pos].code, 'task', v_ids[v_pos]::text,
            v_results[v_pos].reason, jsonb_build_object('claim', v_claims[v_pos], 'batch', v_count),
            v_decisions[v_pos], 'warning', p_caller => v_me);
          v_stop := true;
          continue;
        end if;
        v_results[v_pos] := coord.unverified_refusal(v_me, v_ids[v_pos], v_claims[v_pos], v_decisions[v_pos],
                                                     jsonb_build_object('batch', v_count));
      end if;
      if v_results[v_pos].code is not null then
        v_stop := true;
      elsif jsonb_array_length(v_ops[v_pos]) > 0 then
        -- No grant of the agent's is spent here (p_approval null): a batch refused for another item
        -- would burn it. An auto-approval policy's fresh grant is used at once, as in complete_task,
        -- even when another item then refuses the batch (the audit shows approval.use for it).
        v_checks[v_pos] := coord.check_completion_operations(v_me, v_ids[v_pos], v_claims[v_pos], v_ops[v_pos],
                                                             null, v_decisions[v_pos]);
        v_results[v_pos] := coord.operations_refusal(v_ids[v_pos], v_claims[v_pos], v_checks[v_pos], v_decisions[v_pos]);
        v_stop := v_stop or v_results[v_pos].code is not null;
      end if;
    end loop;
  end if;

  if not v_stop then
    -- Dependents are locked in id order before the countdowns, so batches sharing dependents
    -- never deadlock either.
    perform from coord.tasks as t
    where t.id in (select d.task_id from coord.task_dependencies as d where d.depends_on_id = any (v_ids))
      and t.state = 'queued'
    order by t.id
    for update;
    -- One UPDATE completes them all (and one more counts their dependents down): the batch's
    -- completion events are written together, in task id order.
    v_unblocked := coord.finish_completions(v_ids, v_payloads);
    -- One constructor call checks the code once; each row fills in its own fields.
    v_done := coord.task_result('completed', p_state => 'completed');
    foreach v_pos in array v_order loop
      v_results[v_pos] := v_done;
      v_results[v_pos].task_id := v_ids[v_pos];
      v_results[v_pos].claim := v_claims[v_pos];
      v_results[v_pos].details := v_done.details || jsonb_build_object('dependents_notified', v_unblocked[v_pos])
                     || case when jsonb_array_length(v_checks[v_pos] -> 'checks') > 0
                             then jsonb_build_object('operations', v_checks[v_pos] -> 'checks') else '{}' end
                     || jsonb_strip_nulls(jsonb_build_object('approval_id', v_checks[v_pos] #> '{grant,approval_id}'));
      v_results[v_pos].approval_id := (v_checks[v_pos] #>> '{grant,approval_id}')::bigint;
    end loop;
  end if;

  for i in 1 .. v_count loop
    if v_results[i].code is not null and not v_results[i].ok then
      v_refused := v_refused || jsonb_build_object('task_id', v_ids[i], 'code', v_results[i].code);
    end if;
  end loop;
  for i in 1 .. v_count loop
    if jsonb_array_length(v_refused) > 0 and v_results[i].ok is distinct from false then
      v_results[i] := coord.task_result('batch_refused', v_ids[i],
        format('nothing was completed: %s of the %s tasks refused (task %s is %s)', jsonb_array_length(v_refused),
               v_count, v_refused -> 0 ->> 'task_id', v_refused -> 0 ->> 'code'),
        p_claim => v_claims[i], p_details => jsonb_build_object('refused', v_refused));
      perform audit.record('task.complete', 'batch_refused', 'task', v_ids[i]::text, v_results[i].reason,
        jsonb_build_object('claim', v_claims[i], 'batch', v_count, 'refused', v_refused), v_decisions[i], 'warning', p_caller => v_me);
    end if;
    return next v_results[i];
  end loop;
end;
$$;

comment on function api.complete_tasks(jsonb) is
'Completes several claimed tasks (p_tasks: a JSON array of 1-1000 objects {"task_id": id, "claim": claim, "result": {...}}, result optional, each task once) all or none, in one transaction, as complete_task does for each: one row per item, in the order given. Every claim, and the guardrails on the operations each result declares, is checked before anything is completed: when all pass, every row is completed; when any is refused (stale_claim, expired, session_ended, unverified, blocked, needs_approval, denied), nothing is completed: those rows say why (and are committed as complete_task commits them: an expired claim goes back to the queue, guardrail checks are kept), the others are batch_refused (details.refused lists the refused task ids and codes). One policy decision per task (the call counts once against calls_per_hour); refusals are audited as task.complete, completions by the task state machine. A needs_approval row carries the approval_id of a request for that completion: once approved, complete that task with complete_task(p_approval => approval_id) (a batch never spends a grant it is given, since another item could refuse the batch; an auto-approval policy''s grant is used at once, as by complete_task). Use it with claim_tasks to finish a batch of short tasks in one round trip. Errors: CO421 malformed batch or a task named twice, CO404 batch over 4 MiB or a result over 64 KiB, CO242, CO410 unknown task, CO413 claim, CO412 when a claim already completed its task, CO477/CO471/CO472 malformed operations, CO213.';
revoke all on function api.complete_tasks(jsonb) from public;
grant execute on function api.complete_tasks(jsonb) to coord_agent, coord_operator;
