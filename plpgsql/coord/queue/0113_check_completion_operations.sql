-- Guardrails on the operations an agent declares it ran when it completes a task (p_ops, from
-- coord.guard_operations): each is evaluated at the agent's trust and recorded (audited, a
-- violation kept). Returns the checks ([{kind, text, code, reason, overridden, violation_id,
-- rules}]) and, when any is blocked or needs approval, the refusal of the completion (audited
-- as task.complete; the task stays claimed so the agent can fail it or complete it without the
-- operation); refusal is null otherwise.
create or replace function coord.check_completion_operations(
  p_me coord.caller,
  p_task_id bigint,
  p_claim bigint,
  p_ops jsonb,
  p_decision authz.decision,
  out checks jsonb,
  out refusal api.task_result
)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_trust smallint := coord.current_trust();
  v_op jsonb;
  v_eval jsonb;
  v_refused text;
begin
  checks := '[]';
  for v_op in select e from jsonb_array_elements(p_ops) as e loop
    v_eval := coord.guard_evaluate(p_me.tenant_id, v_op ->> 'kind', v_op ->> 'text', v_trust);
    v_eval := v_eval || jsonb_build_object('violation_id',
      coord.record_guard_check(v_op ->> 'kind', v_op ->> 'text', v_eval, p_task_id, p_decision));
    checks := checks || jsonb_build_array(jsonb_build_object(
      'kind', v_op ->> 'kind', 'text', left(v_op ->> 'text', 1000), 'code', v_eval ->> 'code',
      'reason', v_eval ->> 'reason', 'overridden', v_eval -> 'overridden', 'violation_id', v_eval -> 'violation_id',
      'rules', (select coalesce(jsonb_agg(m ->> 'name'), '[]') from jsonb_array_elements(v_eval -> 'matches') as m)));
  end loop;
  v_refused := case when exists (select from jsonb_array_elements(checks) as c where c ->> 'code' = 'blocked') then 'blocked'
                    when exists (select from jsonb_array_elements(checks) as c where c ->> 'code' = 'needs_approval')
                      then 'needs_approval' end;
  if v_refused is not null then
    refusal := coord.task_result(v_refused, p_task_id,
      (select string_agg(format('operation %s: %s', c.o - 1, c.e ->> 'reason'), '; ' order by c.o)
       from jsonb_array_elements(checks) with ordinality as c (e, o) where c.e ->> 'code' <> 'allowed'),
      p_state => 'claimed', p_claim => p_claim, p_details => jsonb_build_object('operations', checks));
    perform audit.record('task.complete', v_refused, 'task', p_task_id::text, refusal.reason,
      jsonb_build_object('claim', p_claim, 'operations', checks), p_decision, 'warning');
  end if;
end;
$$;

comment on function coord.check_completion_operations(coord.caller, bigint, bigint, jsonb, authz.decision) is 'Evaluates and records the guardrail checks of the operations a completion declares; the checks, and the blocked / needs_approval refusal (audited) when one is not allowed.';
revoke all on function coord.check_completion_operations(coord.caller, bigint, bigint, jsonb, authz.decision) from public;
