create or replace function api.complete_task(p_task_id bigint, p_claim bigint, p_result jsonb default '{}',
                                             p_approval bigint default null)
returns api.task_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_result api.task_result;
  v_unblocked integer;
  v_ops jsonb;
  v_op jsonb;
  v_trust smallint;
  v_eval jsonb;
  v_checks jsonb := '[]';
  v_refused text;
  v_evals jsonb := '[]';
  v_grant jsonb;
  v_rules text[] := '{}';
  v_scopes text[] := '{}';
begin
  perform coord.check_claim(p_task_id, p_claim);
  perform coord.check_json(p_result, 'result', 65536);
  v_ops := coord.guard_operations(p_result);
  perform coord.require_read_committed();
  v_decision := authz.gate('task.complete', 'task', p_task_id::text, jsonb_build_object('claim', p_claim),
    jsonb_build_object('claim', p_claim));
  if not v_decision.allowed then
    return coord.task_result(p_task_id => p_task_id, p_claim => p_claim, p_refusal => v_decision);
  end if;
  v_result := coord.check_live_claim(v_me, p_task_id, p_claim, true);  -- CO412 when this claim completed it
  if v_result.code is not null then
    perform audit.record('task.complete', v_result.code, 'task', p_task_id::text, v_result.reason,
      jsonb_build_object('claim', p_claim), v_decision, 'warning');
    return v_result;
  end if;

  -- Guardrails on the operations the agent declares it ran: each check is recorded; anything
  -- blocked at the agent's trust refuses the completion as a result, and the task stays claimed
  -- so the agent can fail it or complete it without the operation. Operations that need approval
  -- record one approval request for this completion (task and operations): once approved, the
  -- same completion with p_approval => its id goes through, once. Blocked ones are never approved.
  if jsonb_array_length(v_ops) > 0 then
    v_trust := coord.current_trust();
    for v_op in select e from jsonb_array_elements(v_ops) as e loop
      v_eval := coord.guard_evaluate(v_me.tenant_id, v_op ->> 'kind', v_op ->> 'text', v_trust);
      v_evals := v_evals || jsonb_build_array(v_eval);
      if v_eval ->> 'code' = 'needs_approval' then
        v_rules := v_rules || coord.approval_rules(v_eval);
        v_scopes := v_scopes || coord.approval_scopes(v_eval);
      end if;
    end loop;
    v_refused := case when exists (select from jsonb_array_elements(v_evals) as c where c ->> 'code' = 'blocked') then 'blocked'
                      when exists (select from jsonb_array_elements(v_evals) as c where c ->> 'code' = 'needs_approval')
                        then 'needs_approval' end;
    if v_refused = 'needs_approval' then
      v_grant := coord.approval_gate(p_approval, 'task.complete',
        jsonb_build_object('kind', 'task.complete', 'task_id', p_task_id, 'operations', v_ops),
        'task', p_task_id::text, v_rules, v_scopes,
        jsonb_build_object('reason', (select string_agg(format('operation %s: %s', c.o - 1, c.e ->> 'reason'), '; ' order by c.o)
                                      from jsonb_array_elements(v_evals) with ordinality as c (e, o)
                                      where c.e ->> 'code' <> 'allowed'),
                           'claim', p_claim),
        v_decision);
      v_refused := case v_grant ->> 'code' when 'approved' then null else v_grant ->> 'code' end;
    end if;
    for v_op, v_eval in select o.e, v.e from jsonb_array_elements(v_ops) with ordinality as o (e, i)
                        join jsonb_array_elements(v_evals) with ordinality as v (e, i) using (i) order by i loop
      if v_grant is not null then
        v_eval := v_eval || jsonb_build_object('approval_id', v_grant -> 'approval_id');
        if v_grant ->> 'code' = 'approved' and v_eval ->> 'code' = 'needs_approval' then
          v_eval := v_eval || jsonb_build_object('code', 'allowed', 'reason', v_grant ->> 'reason');
        end if;
      end if;
      v_eval := v_eval || jsonb_build_object('violation_id',
        coord.record_guard_check(v_op ->> 'kind', v_op ->> 'text', v_eval, p_task_id, v_decision));
      v_checks := v_checks || jsonb_build_array(jsonb_build_object(
        'kind', v_op ->> 'kind', 'text', left(v_op ->> 'text', 1000), 'code', v_eval ->> 'code',
        'reason', v_eval ->> 'reason', 'overridden', v_eval -> 'overridden', 'violation_id', v_eval -> 'violation_id',
        'rules', (select coalesce(jsonb_agg(m ->> 'name'), '[]') from jsonb_array_elements(v_eval -> 'matches') as m)));
    end loop;
    if v_refused is not null then
      v_result := coord.task_result(v_refused, p_task_id,
        concat_ws('; ', case when v_refused not in ('blocked', 'needs_approval') then v_grant ->> 'reason' end,
          (select string_agg(format('operation %s: %s', c.o - 1, c.e ->> 'reason'), '; ' order by c.o)
           from jsonb_array_elements(v_checks) with ordinality as c (e, o) where c.e ->> 'code' <> 'allowed')),
        p_state => 'claimed', p_claim => p_claim,
        p_details => jsonb_build_object('operations', v_checks)
                     || jsonb_strip_nulls(jsonb_build_object('approval_id', v_grant -> 'approval_id',
                                                             'approval_state', v_grant -> 'state',
                                                             'approval_expires_at', v_grant -> 'expires_at')));
      v_result.approval_id := (v_grant ->> 'approval_id')::bigint;
      perform audit.record('task.complete', v_refused, 'task', p_task_id::text, v_result.reason,
        jsonb_strip_nulls(jsonb_build_object('claim', p_claim, 'operations', v_checks,
                                             'approval_id', v_grant -> 'approval_id')), v_decision, 'warning');
      return v_result;
    end if;
  end if;

  -- A task without leases or dependents (the common case) skips those statements and the
  -- statement triggers they would fire; an index probe each says so.
  if exists (select from coord.locks as l where l.task_id = p_task_id) then
    perform coord.drop_task_leases(p_task_id);
  end if;
  update coord.tasks
  set state = 'completed', result = coalesce(p_result, '{}'), finished_at = coord.now(), lease_expires_at = null,
      last_event = 'completed'
  where id = p_task_id;
  -- Dependents count down; the last parent to complete makes a dependent ready.
  v_unblocked := 0;
  if exists (select from coord.task_dependencies as d where d.depends_on_id = p_task_id) then
    update coord.tasks as t set pending_deps = t.pending_deps - 1
    from coord.task_dependencies as d
    where d.depends_on_id = p_task_id and t.id = d.task_id and t.state = 'queued';
    get diagnostics v_unblocked = row_count;
  end if;
  v_result := coord.task_result('completed', p_task_id, p_state => 'completed', p_claim => p_claim,
    p_details => jsonb_build_object('dependents_notified', v_unblocked)
                 || case when jsonb_array_length(v_checks) > 0 then jsonb_build_object('operations', v_checks)
                         else '{}' end
                 || jsonb_strip_nulls(jsonb_build_object('approval_id', v_grant -> 'approval_id')));
  v_result.approval_id := (v_grant ->> 'approval_id')::bigint;
  return v_result;
end;
$$;

comment on function api.complete_task(bigint, bigint, jsonb, bigint) is
'Completes the task if p_claim is your live claim (code completed): the result (JSON, at most 64 KiB) is stored, its declared leases are released and its dependents move toward ready. A stale, foreign or expired claim is refused as a result (stale_claim, expired, session_ended) and changes nothing but the rescue of an expired claim. Operations the agent declares it ran (p_result.operations: command strings or {"kind": "command|sql|path", "text": ...}, at most 100) are checked against the guardrails at the agent''s trust (each check audited, violations kept): if any is blocked the result is blocked with details.operations, nothing is completed and the task stays claimed; blocked operations are never approved. If any needs approval (and none is blocked) the result is needs_approval and an approval request for this completion (the task and its declared operations) is recorded (approval_id; the pending one while you repeat the call): once approved, the same completion with p_approval => approval_id completes the task, once; a used grant is approval_used, one for another completion or agent approval_mismatch, one not approved approval_not_granted (the task stays claimed). A refusal of the policy is denied (details.rule). Errors: CO477 malformed operations, CO471, CO472, CO412 when this claim already completed it, CO410 unknown task, CO413 claim, CO404 result over 64 KiB, CO242 result nested over 32 levels, CO213.';
revoke all on function api.complete_task(bigint, bigint, jsonb, bigint) from public;
grant execute on function api.complete_task(bigint, bigint, jsonb, bigint) to coord_agent, coord_operator;
