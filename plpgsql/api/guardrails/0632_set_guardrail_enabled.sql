create or replace function api.set_guardrail_enabled(p_name text, p_enabled boolean)
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_was boolean;
  v_id bigint;
begin
  if p_enabled is null then
    perform coord.fail('CO474', 'enabled must be true or false');
  end if;
  v_decision := authz.gate('guardrail.admin', 'guardrail', p_name, jsonb_build_object('enabled', p_enabled),
    p_event => case when p_enabled then 'guardrail.enable' else 'guardrail.disable' end);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  select g.id, g.enabled into v_id, v_was
  from authz.guardrails as g where g.tenant_id = v_me.tenant_id and g.name = p_name
  for update;
  if v_id is null then
    perform coord.fail('CO475', format('no guardrail rule %s in this tenant', coalesce(pg_catalog.quote_literal(left(p_name, 80)), 'null')));
  end if;
  if v_was = p_enabled then
    return coord.result('unchanged', p_details => jsonb_build_object('rule_id', v_id, 'name', p_name, 'enabled', p_enabled));
  end if;
  update authz.guardrails set enabled = p_enabled, updated_at = coord.now() where id = v_id;
  perform audit.record(case when p_enabled then 'guardrail.enable' else 'guardrail.disable' end,
    case when p_enabled then 'enabled' else 'disabled' end, 'guardrail', p_name, null,
    jsonb_build_object('rule_id', v_id), v_decision, case when p_enabled then 'info' else 'warning' end);
  return coord.result(case when p_enabled then 'enabled' else 'disabled' end,
    p_details => jsonb_build_object('rule_id', v_id, 'name', p_name, 'enabled', p_enabled));
end;
$$;

comment on function api.set_guardrail_enabled(text, boolean) is 'Operators: enables or disables a guardrail rule of your tenant by name, default rules included (code enabled, disabled, or unchanged); denied when the policy refuses (details.rule). Audited. Errors: CO475 unknown rule, CO474 enabled missing.';
revoke all on function api.set_guardrail_enabled(text, boolean) from public;
grant execute on function api.set_guardrail_enabled(text, boolean) to coord_operator;
