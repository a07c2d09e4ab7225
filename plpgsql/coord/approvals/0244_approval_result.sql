-- api.approval_result by name (approve, deny, cancel, wait).
create or replace function coord.approval_result(
  p_code text default null,
  p_approval_id bigint default null,
  p_reason text default null,
  p_state text default null,
  p_expires_at timestamptz default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.approval_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_approval_id, p_state, p_expires_at, v_head.details)::api.approval_result;
end;
$$;

comment on function coord.approval_result(text, bigint, text, text, timestamptz, jsonb, boolean, authz.decision) is 'Builds an api.approval_result (code checked by coord.result).';
revoke all on function coord.approval_result(text, bigint, text, text, timestamptz, jsonb, boolean, authz.decision) from public;
