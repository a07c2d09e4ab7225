-- api.guardrail_decision by name (check_operation): the verdict, the canonical units and the
-- rules that matched.
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.guardrail_result(
  p_code text default null,
  p_kind text default null,
  p_reason text default null,
  p_normalized text default null,
  p_matches jsonb default '[]',
  p_overridden boolean default false,
  p_trust smallint default null,
  p_violation_id bigint default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.guardrail_decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_kind, p_normalized, p_matches, p_overridden, p_trust, p_violation_id,
             v_head.details, null)::api.guardrail_decision;  -- approval_id: set by check_operation
end;
$$;

comment on function coord.guardrail_result(text, text, text, text, jsonb, boolean, smallint, bigint, jsonb, boolean, authz.decision) is 'Builds an api.guardrail_decision (code checked by coord.result).';
revoke all on function coord.guardrail_result(text, text, text, text, jsonb, boolean, smallint, bigint, jsonb, boolean, authz.decision) from public;
