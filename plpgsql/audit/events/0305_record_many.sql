-- Append several audit events of one caller in one statement: the rows audit.record would write
-- for each element, in order, for a batch call that audits one event per item. The parts every
-- event of the call shares (the caller, the clock, the request context, the statement's decision
-- and the follower probe) are read once, and the rows go in as one INSERT ... SELECT: one
-- executor start, one RLS check setup and one partition routing for the batch, where one
-- audit.record per item paid each of them again (~50 us per event measured, against ~15 us per
-- row of a multi-row insert; docs/benchmarks.md "Audit writes").
-- p_events holds one audit.pending_event per event (its fields nullable as audit.record's
-- arguments); the scalars are the same for every event.
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
  v_system boolean := v_principal.principal_id is null;
  v_tenant_id uuid := v_principal.tenant_id;
  v_statement authz.decision;
  v_occurred_at timestamptz := coalesce(p_occurred_at, coord.now());
  v_request jsonb := audit.request_context();
  v_quiet boolean;
begin
  if coalesce(pg_catalog.cardinality(p_events), 0) = 0 then
    return;
  end if;
  -- An event without a decision of its own carries the current statement's (as audit.record).
  if not v_system then
    v_statement := authz.statement_decision();
  end if;
  insert into audit.events (
    txid, tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id,
    decision, engine, rule, reason, severity, details, request
  )
  select audit.declare_event_writer(v_tenant_id), v_tenant_id, v_occurred_at,
         case when v_system then 'system' else v_principal.kind::coord.actor_type end,
         case when v_system then null else v_principal.principal_id end,
         case when v_system then 'system' else v_principal.name end,
         p_action, p_target_type, u.target_id, u.decision, (u.authz).engine, (u.authz).rule, u.reason, p_severity,
         coalesce(u.details, '{}')
           || case when (u.authz).decision is not null
                   then jsonb_build_object('authz', jsonb_build_object('decision', (u.authz).decision, 'reason', (u.authz).reason))
                   else '{}' end,
         v_request
  from (select e.decision, e.target_id, e.reason, e.details, e.ord,
               case when e.authz is null and not v_system then v_statement else e.authz end as authz
        from unnest(p_events) with ordinality as e (decision, target_id, reason, details, authz, ord)
       ) as u
  order by u.ord;  -- ids in the order of the arrays
  -- Wake the tenant's event followers, as audit.record does after each event (one NOTIFY per
  -- transaction and tenant either way: PostgreSQL folds equal notifications).
  v_quiet := pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtextextended('coord_events:' || v_tenant_id::text, 0));
  if not v_quiet or exists (select from coord.event_followers as f where f.tenant_id = v_tenant_id) then
    perform audit.announce_events(v_tenant_id);
  end if;
end;
$$;

comment on function audit.record_many(text, text, audit.pending_event[], text, coord.caller, timestamptz) is 'Appends one audit event per element of p_events, in order, in one statement: the rows audit.record would write for each (same actor, decision, details, request context and follower wake-up). For batch calls of one principal; p_caller and p_occurred_at as in audit.record.';
revoke all on function audit.record_many(text, text, audit.pending_event[], text, coord.caller, timestamptz) from public;
