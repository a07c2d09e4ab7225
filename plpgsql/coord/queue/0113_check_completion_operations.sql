-- Guardrails on the operations an agent declares it ran when it completes a task (p_ops, from
-- coord.guard_operations): each is evaluated at the agent's trust and recorded (audited, a
-- violation kept). Returns the checks: [{kind, text, code, reason, overridden, violation_id,
-- rules}]; coord.operations_refusal turns them into the refusal of the completion.
create or replace function coord.check_completion_operations(
  p_me coord.caller,
  p_task_id bigint,
  p_ops jsonb,
  p_decision authz.decision
)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_trust smallint := coord.current_trust();
  v_op jsonb;
  v_eval jsonb;
  v_checks jsonb := '[]';
begin
  for v_op in select e from jsonb_array_elements(p_ops) as e loop
    v_eval := coord.guard_evaluate(p_me.tenant_id, v_op ->> 'kind', v_op ->> 'text', v_trust);
    v_eval := v_eval || jsonb_build_object('violation_id',
      coord.record_guard_check(v_op ->> 'kind', v_op ->> 'text', v_eval, p_task_id, p_decision));
    v_checks := v_checks || jsonb_build_array(jsonb_build_object(
      'kind', v_op ->> 'kind', 'text', left(v_op ->> 'text', 1000), 'code', v_eval ->> 'code',
      'reason', v_eval ->> 'reason', 'overridden', v_eval -> 'overridden', 'violation_id', v_eval -> 'violation_id',
      'rules', (select coalesce(jsonb_agg(m ->> 'name'), '[]') from jsonb_array_elements(v_eval -> 'matches') as m)));
  end loop;
  return v_checks;
end;
$$;

comment on function coord.check_completion_operations(coord.caller, bigint, jsonb, authz.decision) is 'Evaluates and records (audit, violations) the guardrail checks of the operations a completion declares; returns the checks.';
revoke all on function coord.check_completion_operations(coord.caller, bigint, jsonb, authz.decision) from public;
