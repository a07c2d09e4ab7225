-- coord:owner coord_auth
-- Alert evaluation for one audit event, called by the trigger audit.tg_events__raise_alerts
-- (audit/0340), which fires only for events with an alertable decision. For each enabled rule
-- of the event's tenant that matches the action and decision: an open alert for (rule, actor)
-- counts the event; otherwise the actor's matching events within the rule's interval (since
-- its last alert for the rule) are counted and, at the threshold, an alert is raised and the
-- raising audited. Owned by coord_auth (BYPASSRLS) because events are also written without a
-- vouched caller (the revoked-token loopback, admin paths); it only touches the event's tenant.
create or replace function coord.evaluate_alert_rules(p_event audit.events)
returns void
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  r record;
  v_since bigint;
  v_count integer;
  v_first_id bigint;
  v_first_at timestamptz;
  v_alert_id bigint;
  v_raised boolean;
begin
  for r in
    select ar.id, ar.name, ar.threshold, ar.within, ar.severity, ar.decisions, ar.action_like
    from coord.alert_rules as ar
    where ar.tenant_id = p_event.tenant_id and ar.enabled
      and p_event.decision = any (ar.decisions) and p_event.action like ar.action_like
    order by ar.id
  loop
    -- One evaluation at a time per (rule, actor), held to commit: a concurrent writer of a
    -- matching event waits here, then (READ COMMITTED: a new snapshot per statement) sees this
    -- transaction's event and alert, so two writers neither miss the threshold nor raise twice.
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended(format('coord.alerts/%s/%s', r.id, coalesce(p_event.actor_id::text, 'system')), 0));

    update coord.alerts as a
    set event_count = a.event_count + 1,
        last_event_id = greatest(a.last_event_id, p_event.id),
        last_event_at = greatest(a.last_event_at, p_event.occurred_at)
    where a.tenant_id = p_event.tenant_id and a.rule_id = r.id and a.state = 'open'
      and a.actor_id is not distinct from p_event.actor_id;
    if found then
      continue;
    end if;

    -- Events already counted into an earlier (resolved) alert do not count again.
    select max(a.last_event_id) into v_since
    from coord.alerts as a
    where a.tenant_id = p_event.tenant_id and a.rule_id = r.id and a.actor_id is not distinct from p_event.actor_id;

    if r.threshold = 1 then
      v_count := 1;
      v_first_id := p_event.id;
      v_first_at := p_event.occurred_at;
    elsif p_event.actor_id is not null then
      select count(*)::integer, min(e.id), min(e.occurred_at) into v_count, v_first_id, v_first_at
      from audit.events as e
      where e.tenant_id = p_event.tenant_id and e.actor_id = p_event.actor_id
        and e.decision in ('denied', 'blocked', 'needs_approval', 'refused')  -- events_alertable_idx
        and e.decision = any (r.decisions) and e.action like r.action_like
        and e.occurred_at > p_event.occurred_at - r.within and e.occurred_at <= p_event.occurred_at
        and e.id > coalesce(v_since, 0);
    else
      select count(*)::integer, min(e.id), min(e.occurred_at) into v_count, v_first_id, v_first_at
      from audit.events as e
      where e.tenant_id = p_event.tenant_id and e.actor_id is null
        and e.decision in ('denied', 'blocked', 'needs_approval', 'refused')
        and e.decision = any (r.decisions) and e.action like r.action_like
        and e.occurred_at > p_event.occurred_at - r.within and e.occurred_at <= p_event.occurred_at
        and e.id > coalesce(v_since, 0);
    end if;
    if v_count < r.threshold then
      continue;
    end if;

    insert into coord.alerts as a (tenant_id, rule_id, actor_type, actor_id, actor_name, severity, event_count,
                                   first_event_id, last_event_id, first_event_at, last_event_at, raised_at)
    values (p_event.tenant_id, r.id, p_event.actor_type, p_event.actor_id, p_event.actor_name, r.severity, v_count,
            v_first_id, p_event.id, v_first_at, p_event.occurred_at, coord.now())
    on conflict (tenant_id, rule_id, actor_id) where state = 'open'
    do update set event_count = a.event_count + 1,
                  last_event_id = greatest(a.last_event_id, excluded.last_event_id),
                  last_event_at = greatest(a.last_event_at, excluded.last_event_at)
    returning a.id, (a.xmax = 0) into v_alert_id, v_raised;

    if v_raised then
      insert into audit.events (tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type,
                                target_id, decision, rule, reason, severity, details, request)
      values (p_event.tenant_id, coord.now(), 'system', null, 'system', 'alert.raise', 'alert', v_alert_id::text,
              'raised', r.name,
              format('%s: %s matching event(s) by %s within %s', r.name, v_count,
                     coalesce(p_event.actor_name, 'system'), r.within),
              r.severity,
              jsonb_build_object('alert_id', v_alert_id, 'rule', r.name, 'actor_id', p_event.actor_id,
                                 'actor_name', p_event.actor_name, 'event_count', v_count,
                                 'first_event_id', v_first_id, 'last_event_id', p_event.id,
                                 'trigger_action', p_event.action, 'trigger_decision', p_event.decision),
              p_event.request);
    end if;
  end loop;
  return;
end;
$$;

comment on function coord.evaluate_alert_rules(audit.events) is 'For one audit event with an alertable decision: bumps the open alert of each matching rule and actor, or raises one at the rule''s threshold and audits it (alert.raise).';
revoke all on function coord.evaluate_alert_rules(audit.events) from public;
-- Called by the trigger function, as whoever inserts the event: api functions (coord_owner),
-- the loopback recorder (coord_auth, the owner) and superusers.
grant execute on function coord.evaluate_alert_rules(audit.events) to coord_owner;
