-- api.verification_result by name (record_verification).
create or replace function coord.verification_result(
  p_code text default null,
  p_task_id bigint default null,
  p_reason text default null,
  p_verification_id bigint default null,
  p_tier text default null,
  p_status text default null,
  p_missing text[] default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.verification_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_verification_id, p_task_id, p_tier, p_status, p_missing,
             v_head.details)::api.verification_result;
end;
$$;

comment on function coord.verification_result(text, bigint, text, bigint, text, text, text[], jsonb, boolean, authz.decision) is 'Builds an api.verification_result (code checked by coord.result).';
revoke all on function coord.verification_result(text, bigint, text, bigint, text, text, text[], jsonb, boolean, authz.decision) from public;
