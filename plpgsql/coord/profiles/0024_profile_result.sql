-- api.profile_result by name (profile management).
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.profile_result(
  p_code text default null,
  p_profile text default null,
  p_reason text default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.profile_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_profile, v_head.details)::api.profile_result;
end;
$$;

comment on function coord.profile_result(text, text, text, jsonb, boolean, authz.decision) is 'Builds an api.profile_result (code checked by coord.result).';
revoke all on function coord.profile_result(text, text, text, jsonb, boolean, authz.decision) from public;
