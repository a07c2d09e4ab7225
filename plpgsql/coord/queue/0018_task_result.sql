-- api.task_result by name (submit, renew, complete, fail, cancel, redrive).
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.task_result(
  p_code text default null,
  p_task_id bigint default null,
  p_reason text default null,
  p_state text default null,
  p_claim bigint default null,
  p_attempt integer default null,
  p_run_after timestamptz default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.task_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_task_id, p_state, p_claim, p_attempt, p_run_after, v_head.details,
             null)::api.task_result;  -- approval_id: set by the calls that record or use an approval
end;
$$;

comment on function coord.task_result(text, bigint, text, text, bigint, integer, timestamptz, jsonb, boolean, authz.decision) is 'Builds an api.task_result (code checked by coord.result).';
revoke all on function coord.task_result(text, bigint, text, text, bigint, integer, timestamptz, jsonb, boolean, authz.decision) from public;
