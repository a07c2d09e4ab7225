-- api.skill_result by name (register_skill): the version and the approval it asked for or used.
create or replace function coord.skill_result(
  p_code text default null,
  p_reason text default null,
  p_skill_id bigint default null,
  p_name text default null,
  p_version text default null,
  p_approval_id bigint default null,
  p_details jsonb default '{}',
  p_refusal authz.decision default null
)
returns api.skill_result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, null, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_skill_id, p_name, p_version, p_approval_id,
             v_head.details)::api.skill_result;
end;
$$;

comment on function coord.skill_result(text, text, bigint, text, text, bigint, jsonb, authz.decision) is 'Builds an api.skill_result (code checked by coord.result).';
revoke all on function coord.skill_result(text, text, bigint, text, text, bigint, jsonb, authz.decision) from public;
