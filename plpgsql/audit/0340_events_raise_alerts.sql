-- Alerts are evaluated as events are written. The WHEN clause keeps ordinary events out of
-- PL/pgSQL altogether: only decisions an alert rule may match (the same list as
-- coord.alert_rules_values_check and events_alertable_idx) call the trigger function.
create or replace trigger events_raise_alerts
  after insert on audit.events
  for each row
  when (new.decision in ('denied', 'blocked', 'needs_approval', 'refused'))
  execute function coord.tg_events__raise_alerts();
