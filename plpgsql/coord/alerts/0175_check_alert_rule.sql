-- Validation shared by api.add_alert_rule and api.set_alert_rule: the same bounds as
-- coord.alert_rules_values_check, reported as registered errors before anything is written.
create or replace function coord.check_alert_rule(
  p_action_pattern text,
  p_decisions text[],
  p_threshold integer,
  p_within interval,
  p_severity text,
  p_description text
)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform coord.check_list(p_decisions, 'decisions');
  if p_action_pattern is not null
     and (p_action_pattern !~ '^[a-z_*]+(\.[a-z_*]+)*$' or char_length(p_action_pattern) > 100) then
    perform coord.fail('CO491', format('action pattern %s', pg_catalog.quote_literal(left(p_action_pattern, 100))));
  end if;
  if p_decisions is not null and (cardinality(p_decisions) not between 1 and 4 or array_position(p_decisions, null) is not null
      or not p_decisions <@ array['denied', 'blocked', 'needs_approval', 'refused']) then
    perform coord.fail('CO492', format('decisions %s', left(p_decisions::text, 200)));
  end if;
  if p_threshold not between 1 and 10000 then
    perform coord.fail('CO492', format('threshold %s', p_threshold));
  end if;
  if p_within is not null then
    perform coord.check_interval(p_within, 'CO492', 'within', interval '1 second', interval '7 days');
  end if;
  if p_severity not in ('notice', 'warning', 'critical') then
    perform coord.fail('CO492', format('severity %s', pg_catalog.quote_literal(left(p_severity, 50))));
  end if;
  if char_length(p_description) > 1000 then
    perform coord.fail('CO492', format('description has %s characters', char_length(p_description)));
  end if;
end;
$$;

comment on function coord.check_alert_rule(text, text[], integer, interval, text, text) is 'Raises CO241 (decisions not a flat list), CO491 (pattern) or CO492 (decisions, threshold, within, severity, description) for an alert rule field out of bounds; null fields are not checked.';
revoke all on function coord.check_alert_rule(text, text[], integer, interval, text, text) from public;
