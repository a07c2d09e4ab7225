-- Alerts are evaluated as events are written. The WHEN clause keeps ordinary events out of
-- PL/pgSQL altogether: only decisions an alert rule may match (the same list as
-- coord.alert_rules_values_check and events_alertable_idx) call the trigger function, which
-- hands the row to coord.evaluate_alert_rules (owned by coord_auth: events are also written
-- with no vouched caller, so the evaluation cannot rely on the caller's tenant context).
create or replace function audit.tg_events__raise_alerts()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform coord.evaluate_alert_rules(new);
  return null;
end;
$$;

comment on function audit.tg_events__raise_alerts() is 'Trigger on audit.events (alertable decisions only): evaluates the tenant''s alert rules for the new event.';
revoke all on function audit.tg_events__raise_alerts() from public;

create or replace trigger events_raise_alerts
  after insert on audit.events
  for each row
  when (new.decision in ('denied', 'blocked', 'needs_approval', 'refused'))
  execute function audit.tg_events__raise_alerts();
