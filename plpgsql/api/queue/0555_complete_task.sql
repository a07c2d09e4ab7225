create or replace function api.complete_task(p_task_id bigint, p_claim bigint, p_result jsonb default '{}',
                                             p_approval bigint default null)
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
  v_unblocked integer;
  v_ops jsonb;
  v_checked jsonb := '{"checks": []}';
  v_valid text;  -- the checks' answer (none): assigned, not PERFORMed (an expression, not a query)
begin
  v_valid := coord.check_claim(p_task_id, p_claim);
  v_valid := coord.check_json(p_result, 'result', 65536);
  v_ops := coord.guard_operations(p_result);
  v_valid := coord.require_read_committed();
  v_decision := authz.gate('task.complete', 'task', p_task_id::text, jsonb_build_object('claim', p_claim),
    jsonb_build_object('claim', p_claim), p_caller => v_me);
  if not v_decision.allowed then
    return coord.task_result(p_task_id => p_task_id, p_claim => p_claim, p_refusal => v_decision);
  end if;
  v_result := coord.check_live_claim(v_me, p_task_id, p_claim, true);  -- CO412 when this claim completed it
  if v_result.code is not null then
    perform audit.record('task.complete', v_result.code, 'task', p_task_id::text, v_result.reason,
      jsonb_build_object('claim', p_claim), v_decision, 'warning', p_caller => v_me);
    return v_result;
  end if;

  v_result := coord.unverified_refusal(v_me, p_task_id, p_claim, v_decision);
  if v_result.code is not null then
    return v_result;
  end if;

  -- Guardrails on the operations the agent declares it ran: anything blocked (or needing an
  -- approval not passed) at the agent's trust refuses the completion, and the task stays claimed.
  if jsonb_array_length(v_ops) > 0 then
    v_checked := coord.check_completion_operations(v_me, p_task_id, p_claim, v_ops, p_approval, v_decision);
    v_result := coord.operations_refusal(p_task_id, p_claim, v_checked, v_decision);
    if v_result.code is not null then
      return v_result;
    end if;
  end if;

  v_unblocked := coord.finish_completion(p_task_id, p_result);
  v_result := coord.task_result('completed', p_task_id, p_state => 'completed', p_claim => p_claim,
    p_details => jsonb_build_object('dependents_notified', v_unblocked)
                 || case when jsonb_array_length(v_checked -> 'checks') > 0
                         then jsonb_build_object('operations', v_checked -> 'checks') else '{}' end
                 || jsonb_strip_nulls(jsonb_build_object('approval_id', v_checked #> '{grant,approval_id}')));
  v_result.approval_id := (v_checked #>> '{grant,approval_id}')::bigint;
  return v_result;
end;
$$;

comment on function api.complete_task(bigint, bigint, jsonb, bigint) is
'Completes the task if p_claim is your live claim (code completed): the result (JSON, at most 64 KiB) is stored, its declared leases are released and its dependents move toward ready. A stale, foreign or expired claim is refused as a result (stale_claim, expired, session_ended) and changes nothing but the rescue of an expired claim. Operations the agent declares it ran (p_result.operations: command strings or {"kind": "command|sql|path", "text": ...}, at most 100) are checked against the guardrails at the agent''s trust (each check audited, violations kept): if any is blocked the result is blocked with details.operations, nothing is completed and the task stays claimed; blocked operations are never approved. If any needs approval (and none is blocked) the result is needs_approval and an approval request for this completion (the task and its declared operations) is recorded (approval_id; the pending one while you repeat the call): once approved, the same completion with p_approval => approval_id completes the task, once; a used grant is approval_used, one for another completion or agent approval_mismatch, one not approved approval_not_granted (the task stays claimed). A task submitted with p_verify tiers completes only when each has a passing record under this claim (record_verification, coord verify): otherwise unverified (details.missing), the task stays claimed. A refusal of the policy is denied (details.rule). Errors: CO477 malformed operations, CO471, CO472, CO412 when this claim already completed it, CO410 unknown task, CO413 claim, CO404 result over 64 KiB, CO242 result nested over 32 levels, CO213.';
revoke all on function api.complete_task(bigint, bigint, jsonb, bigint) from public;
grant execute on function api.complete_task(bigint, bigint, jsonb, bigint) to coord_agent, coord_operator;
