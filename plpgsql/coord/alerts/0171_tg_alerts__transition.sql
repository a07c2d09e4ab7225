-- The alert state machine: open -> resolved, and resolved is final. While open, only the count
-- and the last event move (the raising trigger); resolving sets who, when and why at once.
create or replace function coord.tg_alerts__transition()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if old.state = 'resolved' then
    perform coord.fail('CO495', format('alert %s was resolved at %s', old.id, old.resolved_at));
  end if;
  if (new.tenant_id, new.rule_id, new.actor_type, new.actor_id, new.severity, new.first_event_id,
      new.first_event_at, new.raised_at)
     is distinct from
     (old.tenant_id, old.rule_id, old.actor_type, old.actor_id, old.severity, old.first_event_id,
      old.first_event_at, old.raised_at)
     or new.event_count < old.event_count or new.last_event_id < old.last_event_id then
    perform coord.fail('CO495', format('alert %s: only its count, last event and resolution may change', old.id));
  end if;
  return new;
end;
$$;

comment on function coord.tg_alerts__transition() is 'Trigger: an open alert may grow (count, last event) or be resolved; a resolved alert is final (CO495).';
revoke all on function coord.tg_alerts__transition() from public;

create or replace trigger alerts_transition
  before update on coord.alerts
  for each row execute function coord.tg_alerts__transition();
