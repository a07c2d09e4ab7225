-- api.session_result by name (start_session, heartbeat, end_session).
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.session_result(
  p_code text default null,
  p_session_id uuid default null,
  p_reason text default null,
  p_expires_at timestamptz default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.session_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_session_id, p_expires_at, v_head.details)::api.session_result;
end;
$$;

comment on function coord.session_result(text, uuid, text, timestamptz, jsonb, boolean, authz.decision) is 'Builds an api.session_result (code checked by coord.result).';
revoke all on function coord.session_result(text, uuid, text, timestamptz, jsonb, boolean, authz.decision) from public;
