-- The one constructor behind every result: ok, code, reason, details. The code must be in
-- coord.outcome_registry (an unregistered code is CO502, so a typo fails the first test that
-- reaches it), ok comes from the registry (p_ok only for codes whose ok depends on the
-- function, and never against the registry), and a refusal of the policy gate (p_refusal, the
-- decision authz.gate returned) has one shape everywhere: code denied, the rule's reason,
-- details.rule. The typed constructors (coord.lock_result, coord.task_result, ...) add their
-- columns to this head.
create or replace function coord.result(
  p_code text default null,
  p_reason text default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_code text := p_code;
  v_ok boolean;
begin
  if p_refusal.allowed is not null then
    if p_refusal.allowed or p_code is not null then
      perform coord.fail('CO502', format('a refusal is a denied decision and carries no code of its own (code %s, allowed %s)',
                                         p_code, p_refusal.allowed));
    end if;
    v_code := 'denied';
  end if;
  select o.ok into v_ok from coord.outcome_registry as o where o.code = v_code;
  if not found then
    perform coord.fail('CO502', format('result code %s is not in coord.outcome_registry',
                                       coalesce(pg_catalog.quote_literal(v_code), 'null')));
  end if;
  if p_ok is not null and v_ok is not null and p_ok <> v_ok or coalesce(p_ok, v_ok) is null then
    perform coord.fail('CO502', format('result code %s is ok = %s in coord.outcome_registry, not %s', v_code,
                                       coalesce(v_ok::text, 'either'), coalesce(p_ok::text, 'unsaid')));
  end if;
  return row(coalesce(p_ok, v_ok), v_code, coalesce(p_reason, p_refusal.reason),
             coalesce(p_details, '{}')
             || case when p_refusal.allowed is not null then jsonb_build_object('rule', p_refusal.rule) else '{}' end
            )::api.result;
end;
$$;

comment on function coord.result(text, text, jsonb, boolean, authz.decision) is 'Builds an api.result: code from coord.outcome_registry (CO502 otherwise), ok from the registry (p_ok only where the registry leaves it to the function), or with p_refusal a gate refusal (denied, the rule''s reason, details.rule). The typed result constructors build on it.';
revoke all on function coord.result(text, text, jsonb, boolean, authz.decision) from public;
