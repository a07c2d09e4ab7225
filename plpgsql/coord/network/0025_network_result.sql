-- api.network_decision by name (check_network): the canonical domain and what decided.
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.network_result(
  p_code text default null,
  p_domain text default null,
  p_reason text default null,
  p_rule_id bigint default null,
  p_pattern text default null,
  p_decided_by text default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.network_decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, p_details, p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_domain, p_rule_id, p_pattern, p_decided_by, v_head.details)::api.network_decision;
end;
$$;

comment on function coord.network_result(text, text, text, bigint, text, text, jsonb, boolean, authz.decision) is 'Builds an api.network_decision (code checked by coord.result).';
revoke all on function coord.network_result(text, text, text, bigint, text, text, jsonb, boolean, authz.decision) from public;
