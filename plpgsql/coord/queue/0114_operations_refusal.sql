-- The refusal of a completion whose declared operations a guardrail blocks or wants approved
-- (p_checked from coord.check_completion_operations), audited as task.complete: blocked before
-- needs_approval, the reasons of every operation not allowed, and the approval request when one
-- was asked for or passed. Null when the completion may go on. The task stays claimed, so the
-- agent can fail it, complete it without the operation, or repeat it once approved.
create or replace function coord.operations_refusal(p_task_id bigint, p_claim bigint, p_checked jsonb,
                                                    p_decision authz.decision)
returns api.task_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  -- The codes coord.check_completion_operations can refuse with, spelled out (test_outcomes reads them).
  v_refused text := case p_checked ->> 'refused'
                      when 'blocked' then 'blocked' when 'needs_approval' then 'needs_approval'
                      when 'approval_used' then 'approval_used' when 'approval_mismatch' then 'approval_mismatch'
                      when 'approval_not_granted' then 'approval_not_granted' end;
  v_grant jsonb := nullif(p_checked -> 'grant', 'null');
  v_checks jsonb := p_checked -> 'checks';
  v_result api.task_result;
begin
  if v_refused is null then
    if p_checked ->> 'refused' is not null then  -- never go on past a refusal this list does not know
      raise exception using errcode = 'internal_error',
        message = format('coord.operations_refusal: unknown refusal %s', p_checked ->> 'refused');
    end if;
    return null;
  end if;
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
                                         'approval_id', v_grant -> 'approval_id')), p_decision, 'warning');
  return v_result;
end;
$$;

comment on function coord.operations_refusal(bigint, bigint, jsonb, authz.decision) is 'The blocked / needs_approval / approval_* refusal of a completion (audited as task.complete) when a declared operation is not allowed; null otherwise.';
revoke all on function coord.operations_refusal(bigint, bigint, jsonb, authz.decision) from public;
