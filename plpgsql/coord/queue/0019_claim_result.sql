-- api.claim_result by name: a claimed task, or why nothing was claimed.
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.claim_result(
  p_code text default null,
  p_reason text default null,
  p_task_id bigint default null,
  p_kind text default null,
  p_payload jsonb default null,
  p_priority integer default null,
  p_claim bigint default null,
  p_attempt integer default null,
  p_max_attempts integer default null,
  p_lease_expires_at timestamptz default null,
  p_locks jsonb default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null,
  p_repository text default null
)
returns api.claim_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_task_id, p_kind, p_payload, p_priority, p_claim, p_attempt,
             p_max_attempts, p_lease_expires_at, p_locks, v_head.details, p_repository)::api.claim_result;
end;
$$;

comment on function coord.claim_result(text, text, bigint, text, jsonb, integer, bigint, integer, integer, timestamptz, jsonb, jsonb, boolean, authz.decision, text) is 'Builds an api.claim_result (code checked by coord.result); p_repository is the repository of the task''s leases.';
revoke all on function coord.claim_result(text, text, bigint, text, jsonb, integer, bigint, integer, integer, timestamptz, jsonb, jsonb, boolean, authz.decision, text) from public;
