create or replace function api.add_alert_rule(
  p_name text,
  p_action_pattern text,
  p_decisions text[],
  p_threshold integer,
  p_within interval,
  p_severity text default 'warning',
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
  v_id bigint;
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO492', format('name %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  if p_action_pattern is null or p_decisions is null or p_threshold is null or p_within is null or p_severity is null then
    perform coord.fail('CO492', 'action_pattern, decisions, threshold, within and severity are required');
  end if;
  perform coord.check_alert_rule(p_action_pattern, p_decisions, p_threshold, p_within, p_severity, p_description);
  v_decision := authz.gate('alert.rule', 'alert_rule', p_name, jsonb_build_object('change', 'add'),
    p_event => 'alert.rule_add');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  insert into coord.alert_rules (tenant_id, name, action_pattern, decisions, threshold, within, severity,
                                 description, created_by, created_at, updated_at)
  values (v_me.tenant_id, p_name, p_action_pattern, p_decisions, p_threshold, p_within, p_severity,
          p_description, v_me.principal_id, coord.now(), coord.now())
  on conflict (tenant_id, name) do nothing
  returning id into v_id;
  if v_id is null then
    perform audit.record('alert.rule_add', 'exists', 'alert_rule', p_name, null, '{}', v_decision);
    return coord.result('exists', format('a rule named %s exists; change it with set_alert_rule', p_name),
                        jsonb_build_object('name', p_name));
  end if;
  perform audit.record('alert.rule_add', 'added', 'alert_rule', p_name, p_description,
    jsonb_build_object('rule_id', v_id, 'action_pattern', p_action_pattern, 'decisions', p_decisions,
                       'threshold', p_threshold, 'within', p_within::text, 'severity', p_severity), v_decision);
  return coord.result('added', p_details => jsonb_build_object('rule_id', v_id, 'name', p_name));
end;
$$;

comment on function api.add_alert_rule(text, text, text[], integer, interval, text, text) is
'Operators: adds an alert rule: p_threshold events with a decision in p_decisions (denied, blocked, needs_approval, refused) on actions matching p_action_pattern (* wildcard), by one actor within p_within, raise an alert of p_severity (notice, warning, critical). Code added (details.rule_id), exists when the name is taken, denied. Errors: CO491 pattern, CO492 rule fields, CO241 decisions not a flat list.';
revoke all on function api.add_alert_rule(text, text, text[], integer, interval, text, text) from public;
grant execute on function api.add_alert_rule(text, text, text[], integer, interval, text, text) to coord_operator;
