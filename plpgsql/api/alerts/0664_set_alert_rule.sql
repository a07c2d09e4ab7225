create or replace function api.set_alert_rule(
  p_name text,
  p_enabled boolean default null,
  p_threshold integer default null,
  p_within interval default null,
  p_severity text default null,
  p_action_pattern text default null,
  p_decisions text[] default null,
  p_description text default null
)
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
  v_rule record;
  v_changes jsonb;
begin
  perform coord.check_alert_rule(p_action_pattern, p_decisions, p_threshold, p_within, p_severity, p_description);
  v_changes := jsonb_strip_nulls(jsonb_build_object('enabled', p_enabled, 'threshold', p_threshold,
    'within', p_within::text, 'severity', p_severity, 'action_pattern', p_action_pattern,
    'decisions', p_decisions, 'description', p_description));
  v_decision := authz.gate('alert.rule', 'alert_rule', left(p_name, 100), jsonb_build_object('change', 'set'),
    p_event => 'alert.rule_set');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  select r.id into v_rule from coord.alert_rules as r
  where r.tenant_id = v_me.tenant_id and r.name = p_name
  for update;
  if not found then
    perform coord.fail('CO493', format('no alert rule named %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  update coord.alert_rules as r
  set enabled = coalesce(p_enabled, r.enabled),
      threshold = coalesce(p_threshold, r.threshold),
      within = coalesce(p_within, r.within),
      severity = coalesce(p_severity, r.severity),
      action_pattern = coalesce(p_action_pattern, r.action_pattern),
      decisions = coalesce(p_decisions, r.decisions),
      description = coalesce(p_description, r.description),
      updated_at = coord.now()
  where r.tenant_id = v_me.tenant_id and r.id = v_rule.id;
  perform audit.record('alert.rule_set', 'changed', 'alert_rule', p_name, null,
    jsonb_build_object('rule_id', v_rule.id, 'changes', v_changes), v_decision, 'notice');
  return coord.result('changed', p_details => jsonb_build_object('rule_id', v_rule.id, 'changes', v_changes));
end;
$$;

comment on function api.set_alert_rule(text, boolean, integer, interval, text, text, text[], text) is
'Operators: changes an alert rule of your tenant by name: enable or disable it, or change its threshold, interval, severity, action pattern, decisions or description (null keeps a field). Open alerts keep their severity. Code changed, or denied. Errors: CO493 unknown rule, CO491 pattern, CO492 rule fields, CO241 decisions not a flat list.';
revoke all on function api.set_alert_rule(text, boolean, integer, interval, text, text, text[], text) from public;
grant execute on function api.set_alert_rule(text, boolean, integer, interval, text, text, text[], text) to coord_operator;
