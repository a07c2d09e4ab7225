-- Records one guardrail check of the verified caller: a violation row when the operation was
-- blocked, needed approval or was allowed only by an override, and always an audit event
-- guardrail.check (decision allowed, overridden, blocked or needs_approval; with the files a
-- command writes and those it writes that no lease names). Returns the
-- violation id, or null. p_eval.approval_id names the approval request the check recorded or
-- the grant it used (an operation allowed by a grant is recorded as allowed, linked to it). A
-- text too long to check is kept as far as a guardrail reads (10000 characters).
create or replace function coord.record_guard_check(p_kind text, p_text text, p_eval jsonb, p_task_id bigint,
                                                    p_decision authz.decision)
returns bigint
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me coord.caller := coord.principal();
  v_outcome text := case when p_eval ->> 'code' <> 'allowed' then p_eval ->> 'code'
                         when (p_eval ->> 'overridden')::boolean then 'overridden' end;
  v_id bigint;
begin
  if v_outcome is not null then
    insert into authz.guardrail_violations (tenant_id, occurred_at, principal_id, principal_name, kind, operation,
                                            normalized, outcome, trust, rules, task_id)
    values (v_me.tenant_id, coord.now(), v_me.principal_id, v_me.name, p_kind, left(p_text, 10000), p_eval ->> 'normalized',
            v_outcome, (p_eval ->> 'trust')::smallint, p_eval -> 'matches', p_task_id)
    returning id into v_id;
  end if;
  perform audit.record('guardrail.check', coalesce(v_outcome, 'allowed'), 'operation', p_kind, p_eval ->> 'reason',
    jsonb_strip_nulls(jsonb_build_object(
      'text', left(p_text, 1000), 'normalized', left(p_eval ->> 'normalized', 2000),
      'rules', (select jsonb_agg(m ->> 'name') from jsonb_array_elements(p_eval -> 'matches') as m),
      'trust', p_eval -> 'trust', 'violation_id', v_id, 'task_id', p_task_id, 'approval_id', p_eval -> 'approval_id',
      'writes', nullif(p_eval -> 'writes', '[]'), 'unleased', nullif(p_eval -> 'unleased', '[]'))),
    p_decision,
    case v_outcome when 'blocked' then 'warning' when 'needs_approval' then 'notice' when 'overridden' then 'notice'
                   else 'info' end);
  return v_id;
end;
$$;

comment on function coord.record_guard_check(text, text, jsonb, bigint, authz.decision) is 'Persists a guardrail check of the caller: a violation row (blocked, needs_approval, overridden) and the guardrail.check audit event.';
revoke all on function coord.record_guard_check(text, text, jsonb, bigint, authz.decision) from public;
