-- api.action_result by name (propose, claim, renew, complete, fail).
create or replace function coord.action_result(
  p_code text default null,
  p_action_id bigint default null,
  p_reason text default null,
  p_state text default null,
  p_claim bigint default null,
  p_approval_id bigint default null,
  p_lease_expires_at timestamptz default null,
  p_kind text default null,
  p_payload jsonb default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.action_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_action_id, p_state, p_claim, p_approval_id, p_lease_expires_at,
             p_kind, p_payload, v_head.details)::api.action_result;
end;
$$;

comment on function coord.action_result(text, bigint, text, text, bigint, bigint, timestamptz, text, jsonb, jsonb, boolean, authz.decision) is 'Builds an api.action_result (code checked by coord.result).';
revoke all on function coord.action_result(text, bigint, text, text, bigint, bigint, timestamptz, text, jsonb, jsonb, boolean, authz.decision) from public;
