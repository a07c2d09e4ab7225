-- Guardrails on the operations an agent declares it ran when it completes a task (p_ops, from
-- coord.guard_operations): each is evaluated at the agent's trust and recorded (audited, a
-- violation kept). Blocked operations refuse the completion and are never approved. Operations
-- that need approval record one approval request for this completion (the task and its declared
-- operations): once approved, the same completion with p_approval => its id goes through, once.
-- Returns {checks: [{kind, text, code, reason, overridden, violation_id, rules}], grant: the
-- approval gate's answer or null, refused: blocked | needs_approval | approval_* | null};
-- coord.operations_refusal turns it into the refusal of the completion.
create or replace function coord.check_completion_operations(
  p_me coord.caller,
  p_task_id bigint,
  p_claim bigint,
  p_ops jsonb,
  p_approval bigint,
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
  v_evals jsonb := '[]';
  v_checks jsonb := '[]';
  v_refused text;
  v_grant jsonb;
  v_rules text[] := '{}';
  v_scopes text[] := '{}';
begin
  for v_op in select e from jsonb_array_elements(p_ops) as e loop
    v_eval := coord.guard_evaluate(p_me.tenant_id, v_op ->> 'kind', v_op ->> 'text', v_trust);
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
      jsonb_build_object('kind', 'task.complete', 'task_id', p_task_id, 'operations', p_ops),
      'task', p_task_id::text, v_rules, v_scopes,
      jsonb_build_object('reason', (select string_agg(format('operation %s: %s', c.o - 1, c.e ->> 'reason'), '; ' order by c.o)
                                    from jsonb_array_elements(v_evals) with ordinality as c (e, o)
                                    where c.e ->> 'code' <> 'allowed'),
                         'claim', p_claim),
      p_decision);
    v_refused := case v_grant ->> 'code' when 'approved' then null else v_grant ->> 'code' end;
  end if;
  for v_op, v_eval in select o.e, v.e from jsonb_array_elements(p_ops) with ordinality as o (e, i)
                      join jsonb_array_elements(v_evals) with ordinality as v (e, i) using (i) order by i loop
    if v_grant is not null then
      v_eval := v_eval || jsonb_build_object('approval_id', v_grant -> 'approval_id');
      if v_grant ->> 'code' = 'approved' and v_eval ->> 'code' = 'needs_approval' then
        v_eval := v_eval || jsonb_build_object('code', 'allowed', 'reason', v_grant ->> 'reason');
      end if;
    end if;
    v_eval := v_eval || jsonb_build_object('violation_id',
      coord.record_guard_check(v_op ->> 'kind', v_op ->> 'text', v_eval, p_task_id, p_decision));
    v_checks := v_checks || jsonb_build_array(jsonb_build_object(
      'kind', v_op ->> 'kind', 'text', left(v_op ->> 'text', 1000), 'code', v_eval ->> 'code',
      'reason', v_eval ->> 'reason', 'overridden', v_eval -> 'overridden', 'violation_id', v_eval -> 'violation_id',
      'rules', (select coalesce(jsonb_agg(m ->> 'name'), '[]') from jsonb_array_elements(v_eval -> 'matches') as m)));
  end loop;
  return jsonb_build_object('checks', v_checks, 'grant', v_grant, 'refused', v_refused);
end;
$$;

comment on function coord.check_completion_operations(coord.caller, bigint, bigint, jsonb, bigint, authz.decision) is 'Evaluates and records (audit, violations) the guardrail checks of the operations a completion declares, asking for (or using, p_approval) an approval when some need one; returns {checks, grant, refused}.';
revoke all on function coord.check_completion_operations(coord.caller, bigint, bigint, jsonb, bigint, authz.decision) from public;
