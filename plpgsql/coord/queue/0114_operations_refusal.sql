-- The refusal of a completion whose declared operations a guardrail blocks or wants approved
-- (p_checks from coord.check_completion_operations), audited as task.complete: blocked before
-- needs_approval, the reasons of every operation not allowed. Null when all are allowed. The
-- task stays claimed, so the agent can fail it or complete it without the operation.
create or replace function coord.operations_refusal(p_task_id bigint, p_claim bigint, p_checks jsonb,
                                                    p_decision authz.decision)
returns api.task_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_refused text := case when exists (select from jsonb_array_elements(p_checks) as c where c ->> 'code' = 'blocked')
                           then 'blocked'
                         when exists (select from jsonb_array_elements(p_checks) as c where c ->> 'code' = 'needs_approval')
                           then 'needs_approval' end;
  v_result api.task_result;
begin
  if v_refused is null then
    return null;
  end if;
  v_result := coord.task_result(v_refused, p_task_id,
    (select string_agg(format('operation %s: %s', c.o - 1, c.e ->> 'reason'), '; ' order by c.o)
     from jsonb_array_elements(p_checks) with ordinality as c (e, o) where c.e ->> 'code' <> 'allowed'),
    p_state => 'claimed', p_claim => p_claim, p_details => jsonb_build_object('operations', p_checks));
  perform audit.record('task.complete', v_refused, 'task', p_task_id::text, v_result.reason,
    jsonb_build_object('claim', p_claim, 'operations', p_checks), p_decision, 'warning');
  return v_result;
end;
$$;

comment on function coord.operations_refusal(bigint, bigint, jsonb, authz.decision) is 'The blocked / needs_approval refusal of a completion (audited as task.complete) when a declared operation is not allowed; null otherwise.';
revoke all on function coord.operations_refusal(bigint, bigint, jsonb, authz.decision) from public;
