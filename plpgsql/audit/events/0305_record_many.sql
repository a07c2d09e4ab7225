-- Append several audit events in one statement: the rows audit.record would write for each
-- element, in order. For a batch call that audits one event per item (api.acquire_locks) and for
-- the statement triggers that audit what one statement on coord.tasks changed
-- (coord.tg_tasks__submitted, coord.tg_tasks__audited). The parts every event shares (the
-- caller, the clock, the request context, the statement's decision) are read once, and the rows
-- go in as one INSERT ... SELECT: one executor start, one RLS check setup and one partition
-- routing for the batch, where one audit.record per item paid each of them again (~50 us per
-- event measured, against ~15 us per row of a multi-row insert; docs/benchmarks.md "Audit
-- writes").
-- p_events holds one audit.pending_event per event, its fields nullable as audit.record's
-- arguments: an event's own action, severity and time, when given, take the place of the
-- call's; system (null: false) and tenant (null: the caller's) as audit.record's p_system and
-- p_tenant_id. Every tenant named gets its writer key and its followers' wake-up.
create or replace function audit.record_many(
  p_action text,
  p_target_type text,
  p_events audit.pending_event[],
  p_severity text default 'info',
  p_caller coord.caller default null,
  p_occurred_at timestamptz default null
)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal coord.caller := case when p_caller.principal_id is not null then p_caller else coord.try_principal() end;
  v_statement authz.decision;
  v_occurred_at timestamptz := coalesce(p_occurred_at, coord.now());
  v_request jsonb := audit.request_context();
begin
  if coalesce(pg_catalog.cardinality(p_events), 0) = 0 then
    return;
  end if;
  -- A principal's event without a decision of its own carries the current statement's (as
  -- audit.record).
  if v_principal.principal_id is not null then
    v_statement := authz.statement_decision();
  end if;
  insert into audit.events (
    txid, tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id,
    decision, engine, rule, reason, severity, details, request
  )
  select audit.declare_event_writer(u.tenant_id), u.tenant_id, coalesce(u.occurred_at, v_occurred_at),
         case when u.system then 'system' else v_principal.kind::coord.actor_type end,
         case when u.system then null else v_principal.principal_id end,
         case when u.system then 'system' else v_principal.name end,
         coalesce(u.action, p_action), p_target_type, u.target_id, u.decision, (u.authz).engine, (u.authz).rule,
         u.reason, coalesce(u.severity, p_severity),
         coalesce(u.details, '{}')
           || case when u.system and v_principal.principal_id is not null
                   then jsonb_build_object('on_behalf_of', v_principal.principal_id) else '{}' end
           || case when (u.authz).decision is not null
                   then jsonb_build_object('authz', jsonb_build_object('decision', (u.authz).decision, 'reason', (u.authz).reason))
                   else '{}' end,
         v_request
  from (select e.decision, e.target_id, e.reason, e.details, e.action, e.severity, e.occurred_at, e.ord,
               coalesce(e.tenant_id, v_principal.tenant_id) as tenant_id,
               s.system,
               case when e.authz is null and not s.system then v_statement else e.authz end as authz
        from unnest(p_events) with ordinality
             as e (decision, target_id, reason, details, authz, action, severity, system, tenant_id, occurred_at, ord)
             cross join lateral (select coalesce(e.system, false) or v_principal.principal_id is null as system) as s
       ) as u
  order by u.ord;  -- ids in the order of the array
  perform audit.wake_followers(t.tenant_id)
  from (select distinct coalesce(e.tenant_id, v_principal.tenant_id) as tenant_id from unnest(p_events) as e) as t;
end;
$$;

comment on function audit.record_many(text, text, audit.pending_event[], text, coord.caller, timestamptz) is 'Appends one audit event per element of p_events, in order, in one statement: the rows audit.record would write for each (actor, the statement''s decision when an event has none, on_behalf_of for system events, request context, writer key and follower wake-up per tenant). An event''s own action, severity and time take the place of p_action, p_severity and p_occurred_at; p_caller and p_occurred_at as in audit.record.';
revoke all on function audit.record_many(text, text, audit.pending_event[], text, coord.caller, timestamptz) from public;
