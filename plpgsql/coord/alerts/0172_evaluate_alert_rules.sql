-- coord:owner coord_auth
-- Alert evaluation for one audit event, called by the trigger audit.tg_events__raise_alerts
-- (audit/0340), which fires only for events with an alertable decision. For each enabled rule
-- of the event's tenant that matches the action and decision: an open alert for (rule, actor)
-- counts the event (unless another writer holds it locked); otherwise the actor's matching events within the rule's interval (since
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
  v_lock_timeout text;
begin
  for r in
    select ar.id, ar.name, ar.threshold, ar.within, ar.severity, ar.decisions, ar.action_like
    from coord.alert_rules as ar
    where ar.tenant_id = p_event.tenant_id and ar.enabled
      and p_event.decision = any (ar.decisions) and p_event.action like ar.action_like
    order by ar.id
  loop
    -- Never waits for another transaction: an actor's transaction left open (a psql session,
    -- a zombie) must neither stall its other connections nor silence them (an earlier version
    -- skipped the rule while another transaction of the actor held an evaluation lock to its
    -- commit, so one open transaction suppressed every alert about its agent). An open alert
    -- locked by another writer is left to it (it counts its own event: only a count can miss
    -- this one); a raise that conflicts with one another writer has not committed gives up
    -- (that writer raised it; a transaction held open is bounded only by the role's timeouts).
    update coord.alerts as a
    set event_count = a.event_count + 1,
        last_event_id = greatest(a.last_event_id, p_event.id),
        last_event_at = greatest(a.last_event_at, p_event.occurred_at)
    where a.id = (select x.id from coord.alerts as x
                  where x.tenant_id = p_event.tenant_id and x.rule_id = r.id and x.state = 'open'
                    and x.actor_id is not distinct from p_event.actor_id
                  for update skip locked);
    if found then
      continue;
    end if;
    if exists (select from coord.alerts as x
               where x.tenant_id = p_event.tenant_id and x.rule_id = r.id and x.state = 'open'
                 and x.actor_id is not distinct from p_event.actor_id) then
      continue;  -- open, and locked by a writer that is counting into it
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

    -- One open alert per (rule, actor) is the unique index alerts_open_key; the insert waits
    -- for nobody (lock_timeout for this statement only, restored by the subtransaction's end).
    v_lock_timeout := pg_catalog.current_setting('lock_timeout');
    begin
      perform pg_catalog.set_config('lock_timeout', '1ms', true);
      v_alert_id := null;
      insert into coord.alerts as a (tenant_id, rule_id, actor_type, actor_id, actor_name, severity, event_count,
                                     first_event_id, last_event_id, first_event_at, last_event_at, raised_at)
      values (p_event.tenant_id, r.id, p_event.actor_type, p_event.actor_id, p_event.actor_name, r.severity,
              v_count, v_first_id, p_event.id, v_first_at, p_event.occurred_at, coord.now())
      on conflict (tenant_id, rule_id, actor_id) where state = 'open'
      do update set event_count = a.event_count + 1,
                    last_event_id = greatest(a.last_event_id, excluded.last_event_id),
                    last_event_at = greatest(a.last_event_at, excluded.last_event_at)
      returning a.id, (a.xmax = 0) into v_alert_id, v_raised;
      perform pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
    exception when lock_not_available then
      continue;  -- the subtransaction's rollback restored lock_timeout
    end;

    if v_raised then
      insert into audit.events (txid, tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type,
                                target_id, decision, rule, reason, severity, details, request)
      values (audit.declare_event_writer(p_event.tenant_id), p_event.tenant_id, coord.now(), 'system', null, 'system', 'alert.raise', 'alert', v_alert_id::text,
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
